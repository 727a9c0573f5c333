import type { ServerResponse } from 'node:http';
import type { Context } from 'hono';
import { nodeResponseSink, webStreamSink } from './sink.js';
import type { SseSink } from './sink.js';

/** Makes the sink of an accepted stream; `gone` is called when the client goes away. */
export type SinkFactory = (gone: () => void) => SseSink;

export interface StreamResponseOptions {
  /** The slow-reader bound of a web-stream sink (Node's sink is bounded by the hub). */
  maxBufferedBytes: number;
  /** Where the reason of a stream the server ended at once is logged. */
  logClosed: (reason: string) => void;
}

/**
 * Answers a request with an event stream: the one place that knows which runtime the app
 * runs on, so the route stays as runtime-neutral as Hono's own `streamSSE`.
 *
 * - Under `@hono/node-server`, the stream is written to Node's response directly, with
 *   the headers middleware set so far (such as CORS): no web stream per subscriber on
 *   the hot path of a fan-out, and the response's `close` says when the client goes.
 * - Anywhere else, the stream is the body of a web-standard `Response`, and the request's
 *   abort signal says when the client goes.
 *
 * `open` opens the stream (on the hub) with the sink it is given; when it throws (a
 * refused stream), nothing was sent and the error answers as JSON. `appHeaders` false
 * says that nothing of the app ran before the route, so no header can have been set on
 * the context: reading them (`c.res`) would make Hono build a `Response`, and then another
 * to merge them into the answer, for every stream opened.
 */
export async function streamResponse(
  c: Context,
  headers: Record<string, string>,
  open: (sink: SinkFactory, signal?: AbortSignal) => Promise<unknown>,
  options: StreamResponseOptions,
  appHeaders = true,
): Promise<Response> {
  const outgoing = nodeResponseOf(c);
  if (outgoing) {
    await open(nodeSink(outgoing, appHeaders ? { ...Object.fromEntries(c.res.headers), ...headers } : headers, options.logClosed));
    return RESPONSE_ALREADY_SENT ?? (await alreadySent());
  }
  let body = null as ReadableStream<Uint8Array> | null;
  await open((gone) => {
    const sink = webStreamSink(options.maxBufferedBytes, gone, options.logClosed);
    body = sink.readable;
    return sink;
  }, c.req.raw.signal);
  if (!body) throw new Error('job-status: the stream was opened without its sink');
  return new Response(body, { headers });
}

/**
 * The sink of a stream under @hono/node-server. Made outside the route handler, so that
 * an open stream holds its response and nothing of the request's context.
 */
function nodeSink(outgoing: ServerResponse, headers: Record<string, string>, log: (reason: string) => void): SinkFactory {
  return (gone) => nodeResponseSink(outgoing, headers, gone, log);
}

let RESPONSE_ALREADY_SENT: Response | null = null;
/** @hono/node-server's marker for a response written directly, loaded with the first stream. */
async function alreadySent(): Promise<Response> {
  const marker = (await import('@hono/node-server/utils/response')).RESPONSE_ALREADY_SENT;
  // Loaded once the server runs, the marker is made with the light `Response` that
  // @hono/node-server puts in place of the global one, and such a response it writes out
  // as it is (a second `writeHead`) without looking for the marker's header. Reading its
  // body makes it a standard one, whose `x-hono-already-sent` header it honours. (Hono did
  // this too, by accident, when it merged the context's headers into the marker.)
  void marker.body;
  return (RESPONSE_ALREADY_SENT = marker);
}

/** Node's response, when the app runs under @hono/node-server (which passes it as `c.env.outgoing`). */
function nodeResponseOf(c: Context): ServerResponse | null {
  const outgoing = (c.env as { outgoing?: Partial<ServerResponse> } | undefined)?.outgoing;
  const isResponse = typeof outgoing?.writeHead === 'function' && typeof outgoing.cork === 'function';
  return isResponse && !outgoing.headersSent ? (outgoing as ServerResponse) : null;
}
