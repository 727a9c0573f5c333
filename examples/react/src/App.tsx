import { useState } from 'react';
import { jobStatusStrings } from '@job-status/elements';
import type { JobStatusSettledEvent } from '@job-status/elements';

/** An invoices page: the button sends the run, the tile beside it shows how it goes. */
export function App() {
  const [outcome, setOutcome] = useState<string>('not sent yet');
  // A property, not an attribute: React 19 sets it on the element as an object.
  const strings = { ...jobStatusStrings, idle: 'Not sent yet' };

  return (
    <main>
      <h1>Invoices</h1>
      <job-status-provider base-url="/api/jobs">
        <job-trigger kind="invoice.send" target="march" for="send-march">
          <button type="button">Send March invoices</button>
        </job-trigger>
        <job-status
          id="send-march"
          kind="invoice.send"
          target="march"
          strings={strings}
          onjob-status-settled={(event: JobStatusSettledEvent) => setOutcome(event.state)}
        />
      </job-status-provider>
      <p>Last run: {outcome}</p>
    </main>
  );
}
