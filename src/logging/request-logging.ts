import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyReply, FastifyRequest } from 'fastify';
// nestjs-pino's own AsyncLocalStorage: its Logger/PinoLogger read the request's logger from it.
import { storage } from 'nestjs-pino/storage';
import type { Logger as PinoInstance } from 'pino';
import { ROOT_LOGGER } from './logging.module';
import { scrubString } from './redact';

/** Probes hit these every few seconds; an access line for each would drown everything else. */
const QUIET_PATHS = /^\/(health\/(live|ready)|metrics)(\?|$)/;

/**
 * What nestjs-pino's Logger finds in its AsyncLocalStorage for the length of a request: a child
 * logger carrying `request_id`, made on first use, so a request that logs nothing (most of
 * them, at the default level) costs one small object instead of pino child loggers.
 */
class RequestLogStore {
  private child: PinoInstance | undefined;
  responseLogger: PinoInstance | undefined;

  constructor(
    private readonly root: PinoInstance,
    private readonly requestId: string,
  ) {}

  get logger(): PinoInstance {
    return (this.child ??= this.root.child({ request_id: this.requestId }));
  }
}

/** Only what an operator needs from a request; headers (credentials, cookies) are never logged. */
function requestSummary(request: FastifyRequest) {
  const agent = request.headers['user-agent'];
  return {
    id: request.id,
    method: request.method,
    url: scrubString(request.url),
    remote_address: request.ip,
    user_agent: typeof agent === 'string' ? scrubString(agent) : undefined,
  };
}

/**
 * Request-scoped logging on Fastify hooks: every line logged while serving a request carries its
 * `request_id` (through nestjs-pino's storage), and one `request completed` line per request
 * (5xx at `error` as `request errored`; a client that hangs up early gives `request aborted`)
 * is written after the response, except for the probe paths. The line is only built when its
 * level is enabled.
 */
export function installRequestLogging(app: NestFastifyApplication): void {
  const root = app.get<PinoInstance>(ROOT_LOGGER);
  const fastify = app.getHttpAdapter().getInstance();
  fastify.addHook('onRequest', (request, _reply, done) => {
    storage.run(new RequestLogStore(root, request.id) as never, done);
  });
  const line = (request: FastifyRequest, reply: FastifyReply | null) => {
    const status = reply?.statusCode;
    const level = status !== undefined && status >= 500 ? 'error' : 'info';
    if (!root.isLevelEnabled(level) || QUIET_PATHS.test(request.url)) return;
    const req = requestSummary(request);
    if (!reply) return root.info({ request_id: request.id, req }, 'request aborted');
    const fields = { request_id: request.id, req, res: { status_code: status }, response_time_ms: Math.round(reply.elapsedTime) };
    root[level](fields, level === 'error' ? 'request errored' : 'request completed');
  };
  fastify.addHook('onResponse', (request, reply, done) => {
    line(request, reply);
    done();
  });
  fastify.addHook('onRequestAbort', (request, done) => {
    line(request, null);
    done();
  });
}
