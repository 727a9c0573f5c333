import type { ServerResponse } from 'node:http';

/**
 * Where a stream's bytes go. A sink buffers what the client has not read yet and says
 * how much that is, so a session can cut off a reader that fell too far behind.
 */
export interface SseSink {
  write(chunk: Uint8Array): void;
  /** Bytes written but not yet taken by the client's connection. */
  readonly buffered: number;
  /** Ends the stream after what is buffered. */
  end(): void;
  /** Ends the stream at once, dropping what is buffered; `reason` is logged by the server. */
  destroy(reason: string): void;
}

/**
 * A sink that is the body of a web-standard `Response`: portable to every runtime Hono
 * runs on. `gone` is called when the client goes away.
 */
export function webStreamSink(maxBufferedBytes: number, gone: () => void): SseSink & { readable: ReadableStream<Uint8Array> } {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  const readable = new ReadableStream<Uint8Array>(
    {
      start: (c) => {
        controller = c;
      },
      cancel: gone,
    },
    new ByteLengthQueuingStrategy({ highWaterMark: maxBufferedBytes }),
  );
  return {
    readable,
    write: (chunk) => controller.enqueue(chunk),
    get buffered() {
      return maxBufferedBytes - (controller.desiredSize ?? maxBufferedBytes);
    },
    end: () => controller.close(),
    destroy: (reason) => {
      const error = new Error(reason);
      error.stack = reason;
      controller.error(error);
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
  response.writeHead(200, headers);
  response.flushHeaders();
  response.on('close', gone);
  return {
    write: (chunk) => {
      if (!response.destroyed) response.write(chunk);
    },
    get buffered() {
      return response.writableLength;
    },
    end: () => response.end(),
    destroy: (reason) => {
      log(reason);
      response.destroy();
    },
  };
}
