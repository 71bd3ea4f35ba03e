import type { NestFastifyApplication } from '@nestjs/platform-fastify';

/** How long requests still running at shutdown may take before their connections are cut. */
export const SHUTDOWN_GRACE_MS = 10_000;

/**
 * Graceful HTTP close. When the server starts closing it accepts no new connections and
 * Fastify answers new requests on open connections with 503; this adds the two missing pieces:
 * a response finished during shutdown carries `Connection: close` (otherwise its keep-alive
 * socket would hold the close open until the client's idle timeout), and after the grace
 * period whatever is still open is cut, so a stop is bounded.
 */
export function installGracefulClose(app: NestFastifyApplication, graceMs = SHUTDOWN_GRACE_MS): void {
  const fastify = app.getHttpAdapter().getInstance();
  let closing = false;
  fastify.addHook('preClose', (done) => {
    closing = true;
    const server = fastify.server;
    const cut = setTimeout(() => server.closeAllConnections(), graceMs);
    cut.unref();
    server.once('close', () => clearTimeout(cut));
    // Sockets idle right now go at once; busy ones close after their response (see onSend).
    server.closeIdleConnections();
    done();
  });
  // Synchronous: an async hook would cost a promise on every response.
  fastify.addHook('onSend', (_request, reply, payload, done) => {
    if (closing) void reply.header('connection', 'close');
    done(null, payload);
  });
}
