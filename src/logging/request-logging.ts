import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyReply, FastifyRequest } from 'fastify';
// nestjs-pino's own AsyncLocalStorage: its Logger/PinoLogger read the request's logger from it.
import { storage } from 'nestjs-pino/storage';
import type { Logger as PinoInstance } from 'pino';
import { ROOT_LOGGER } from './logging.module';
import { limitScope } from '../security/rate-limit';
import { REDACTED, scrubString } from './redact';

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

/**
 * The URL as an access line records it. On the public routes (callbacks, pay pages, QR images,
 * top-up) the URL itself is the credential: a return token, the order id that opens a pay page,
 * a signed return's hashes. There the line keeps the route's shape (`/qr/:token`) and the query's
 * names, never their values; elsewhere the URL is kept, with secret-shaped parts scrubbed.
 */
export function loggedUrl(request: FastifyRequest): string {
  const at = request.url.indexOf('?');
  const path = at < 0 ? request.url : request.url.slice(0, at);
  if (limitScope(path) !== 'public') return scrubString(request.url);
  const route = request.routeOptions.url;
  const shape = route ?? `/${path.split('/')[1]}/${REDACTED}`;
  if (at < 0) return shape;
  const names = [...new URLSearchParams(request.url.slice(at + 1)).keys()].map((name) => `${scrubString(name)}=${REDACTED}`);
  return names.length ? `${shape}?${names.join('&')}` : shape;
}

/** Only what an operator needs from a request; headers (credentials, cookies) are never logged. */
function requestSummary(request: FastifyRequest) {
  const agent = request.headers['user-agent'];
  return {
    id: request.id,
    method: request.method,
    url: loggedUrl(request),
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
