import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';

/** After an early answer, at most this much of the rest of the upload is read and dropped… */
export const LINGER_MAX_BYTES = 8 * 1024 * 1024;
/** …for at most this long; then the connection is cut, so a flood ties up nothing for longer. */
export const LINGER_MAX_MS = 5_000;

/**
 * Lingering close, as nginx does it. A response sent before the request body has been read
 * (the 413 for a body over the limit, or any error raised while reading it) has to close the
 * connection. Closing the socket at once while the client is still sending makes the kernel
 * answer the client's next bytes with a reset, and a client that is still writing then sees
 * EPIPE / "socket closed" and loses the response it had not read yet. So: send the response,
 * half-close (FIN), keep reading and discarding the upload until the client closes or a bound
 * (LINGER_MAX_BYTES, LINGER_MAX_MS) is reached, then close.
 */
export function installLingeringClose(app: NestFastifyApplication): void {
  const fastify = app.getHttpAdapter().getInstance();
  // Synchronous: an async hook would cost a promise on every response.
  fastify.addHook('onSend', (request, reply, payload, done) => {
    if (!request.raw.complete) {
      // The unread rest of the body makes this connection unusable for another request.
      void reply.header('connection', 'close');
      linger(request.raw);
    }
    done(null, payload);
  });
}

function linger(req: IncomingMessage): void {
  const socket = req.socket as Socket & { lingering?: true };
  if (socket.lingering) return;
  socket.lingering = true;
  let discarded = 0;
  const cut = () => socket.destroy();
  const deadline = setTimeout(cut, LINGER_MAX_MS);
  socket.once('close', () => clearTimeout(deadline));
  // Our own reader, attached before the response ends, so node does not "dump" the request (a dumped body is dropped uncounted).
  req.on('data', (chunk: Buffer) => {
    discarded += chunk.length;
    if (discarded > LINGER_MAX_BYTES) cut();
  });
  req.on('error', cut);
  req.resume();
  // node closes a `Connection: close` socket with destroySoon() once the response is written: make that a half-close,
  // so the FIN follows the response and the client's remaining bytes are still read (and dropped) instead of reset.
  socket.destroySoon = function halfClose(this: Socket) {
    this.end();
  } as Socket['destroySoon'];
}
