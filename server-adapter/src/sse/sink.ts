import type { ServerResponse } from 'node:http';

/**
 * Where a stream's bytes go. A sink buffers what the client has not read yet and says
 * how much that is, so a session can cut off a reader that fell too far behind.
 */
export interface SseSink {
  write(chunk: Uint8Array): void;
  /** Bytes written but not yet taken by the client's connection. */
  readonly buffered: number;
  /**
   * Resolves once at most `bytes` wait to be taken (at once when that is already so), or
   * once the stream is gone: what lets a replay go at the reader's pace without polling.
   */
  drained(bytes: number): Promise<void>;
  /** Ends the stream after what is buffered. */
  end(): void;
  /** Ends the stream at once, dropping what is buffered; `reason` is logged by the server. */
  destroy(reason: string): void;
  /**
   * Sends what was written since the sink was made: a sink may hold the opening of a
   * stream (headers, retry, the first snapshots, `ready`) and send it in one piece.
   */
  flush?(): void;
}

/**
 * A sink that is the body of a web-standard `Response`: portable to every runtime Hono
 * runs on. `gone` is called when the client goes away; `log` gets the reason of a
 * stream ended at once (as the Node sink logs it).
 */
export function webStreamSink(
  maxBufferedBytes: number,
  gone: () => void,
  log: (reason: string) => void = () => undefined,
): SseSink & { readable: ReadableStream<Uint8Array> } {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  let open = true;
  const buffered = () => maxBufferedBytes - (controller.desiredSize ?? maxBufferedBytes);
  const waiters = new Set<{ bytes: number; resolve: () => void }>();
  /** Wakes the waiters whose bound is met; all of them once the stream is gone. */
  const wake = () => {
    for (const waiter of waiters) {
      if (!open || buffered() <= waiter.bytes) {
        waiters.delete(waiter);
        waiter.resolve();
      }
    }
  };
  const shut = () => {
    open = false;
    wake();
  };
  const readable = new ReadableStream<Uint8Array>(
    {
      start: (c) => {
        controller = c;
      },
      // Called after the reader took a chunk (while there is room): the moment to look.
      pull: wake,
      cancel: () => {
        shut();
        gone();
      },
    },
    new ByteLengthQueuingStrategy({ highWaterMark: maxBufferedBytes }),
  );
  return {
    readable,
    write: (chunk) => controller.enqueue(chunk),
    get buffered() {
      return buffered();
    },
    drained: (bytes) =>
      new Promise<void>((resolve) => {
        if (!open || buffered() <= bytes) resolve();
        else waiters.add({ bytes, resolve });
      }),
    end: () => {
      controller.close();
      shut();
    },
    destroy: (reason) => {
      log(reason);
      const error = new Error(reason);
      error.stack = reason;
      controller.error(error);
      shut();
    },
  };
}

/**
 * A sink that writes straight to Node's `ServerResponse` (under `@hono/node-server`),
 * skipping the web-streams machinery on the hot path of a fan-out. Node's own buffer
 * gathers what the socket cannot take yet and sends it together when it drains.
 */
export function nodeResponseSink(
  response: ServerResponse,
  headers: Record<string, string>,
  gone: () => void,
  log: (reason: string) => void,
): SseSink {
  return new NodeResponseSink(response, headers, gone, log);
}

/** A class, not an object of closures: ten thousand open streams share its methods. */
class NodeResponseSink implements SseSink {
  readonly #response: ServerResponse;
  readonly #log: (reason: string) => void;

  constructor(response: ServerResponse, headers: Record<string, string>, gone: () => void, log: (reason: string) => void) {
    this.#response = response;
    this.#log = log;
    // The headers go out with the first bytes, and everything until `flush()` in one write:
    // opening a stream is then one send on the socket, not five.
    response.writeHead(200, headers);
    response.cork();
    response.on('close', gone);
  }

  write(chunk: Uint8Array) {
    if (!this.#response.destroyed) this.#response.write(chunk);
  }

  flush() {
    if (this.#response.writableCorked) this.#response.uncork();
  }

  get buffered() {
    return this.#response.writableLength;
  }

  drained(bytes: number) {
    const response = this.#response;
    return new Promise<void>((resolve) => {
      // Held bytes never drain: waiting for room sends them.
      if (response.writableCorked) response.uncork();
      // Node says 'drain' once its buffer is empty again after passing its high-water mark.
      const limit = Math.max(bytes, response.writableHighWaterMark);
      const check = () => {
        if (!response.destroyed && !response.writableEnded && response.writableLength > limit) return;
        response.off('drain', check);
        response.off('close', check);
        resolve();
      };
      response.on('drain', check);
      response.on('close', check);
      check();
    });
  }

  end() {
    this.#response.end();
  }

  destroy(reason: string) {
    this.#log(reason);
    this.#response.destroy();
  }
}
