import fc from 'fast-check';
import { createParser } from 'eventsource-parser';
import { describe, expect, it } from 'vitest';
import { encodeFrame } from '../src/sse/frame.js';
import type { SseFrame } from '../src/sse/frame.js';
import { cutBytes } from './support.js';

/**
 * The server's frame encoder against a spec parser (eventsource-parser), with frames cut
 * at every awkward byte boundary: every frame arrives whole, or the encoder refuses a
 * field it cannot carry. `FUZZ_RUNS` (default 150) scales the runs.
 */
const RUNS = Number(process.env.FUZZ_RUNS ?? 150);

describe('the SSE encoder against a spec parser', () => {
  const text = fc.oneof(fc.string({ unit: 'binary' }), fc.string({ unit: 'grapheme' }), fc.constantFrom('', ' ', '\r', '\n', '\r\n', '\n\n', 'data: x', ': comment', '\u2028', '\ufeff', '\ud800', 'é'.repeat(500)));

  it('delivers every frame whole, however its bytes are cut, or refuses a field it cannot carry', () => {
    let refused = 0;
    let delivered = 0;
    fc.assert(
      fc.property(
        fc.array(fc.record({ event: fc.option(text, { nil: undefined }), id: fc.option(text, { nil: undefined }), data: text }), { minLength: 1, maxLength: 5 }),
        fc.array(fc.nat(), { maxLength: 12 }),
        (frames, cuts) => {
          const wire: string[] = [];
          const expected: Array<{ event: string | undefined; id: string | undefined; data: string }> = [];
          for (const frame of frames as SseFrame[]) {
            let encoded: string;
            try {
              encoded = encodeFrame(frame);
            } catch (error) {
              // Only a line break in `event` or `id`, or NUL in `id`, may be refused.
              expect(error).toBeInstanceOf(RangeError);
              expect(/[\r\n]/.test(frame.event ?? '') || /[\r\n\0]/.test(frame.id ?? '')).toBe(true);
              refused++;
              continue;
            }
            wire.push(encoded);
            // What a spec parser must give back: line breaks normalised to LF, text as UTF-8 carries it.
            const wellFormed = (s: string) => new TextDecoder('utf-8', { ignoreBOM: true }).decode(new TextEncoder().encode(s));
            expected.push({
              event: frame.event ? wellFormed(frame.event) : undefined,
              id: frame.id === undefined ? undefined : wellFormed(frame.id),
              data: wellFormed(frame.data!).replace(/\r\n|\r/g, '\n'),
            });
          }
          const got: typeof expected = [];
          const parser = createParser({ onEvent: (e) => void got.push({ event: e.event, id: e.id, data: e.data }) });
          const decoder = new TextDecoder();
          for (const part of cutBytes(new TextEncoder().encode(wire.join('')), cuts)) parser.feed(decoder.decode(part, { stream: true }));
          parser.feed(decoder.decode());
          delivered += got.length;
          expect(got).toEqual(expected);
        },
      ),
      { numRuns: RUNS * 4 },
    );
    console.log(`SSE encoder round trip: ${RUNS * 4} frame sequences, ${delivered} frames delivered whole, ${refused} refused (CR/LF in event or id, NUL in id)`);
  });
});
