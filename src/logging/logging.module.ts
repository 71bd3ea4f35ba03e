import type { IncomingMessage, ServerResponse } from 'node:http';
import { DynamicModule } from '@nestjs/common';
import { LoggerModule, Params } from 'nestjs-pino';
import type { DestinationStream, LoggerOptions } from 'pino';
import type { Options as PinoHttpOptions } from 'pino-http';
import { AppConfig } from '../config/config';
import { REDACTED, scrubSecrets, scrubString } from './redact';

/** Paths pino redacts by position; scrubSecrets (hooks.logMethod) catches the rest by name and by shape. */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers["proxy-authorization"]',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
  '*.authorization',
  '*.api_key',
  '*.profile_key',
  '*.secret_key',
  '*.secret',
  '*.token',
  '*.password',
  '*.credentials',
];

/** Probes hit these every few seconds; logging each one would drown everything else. */
const QUIET_PATHS = /^\/(health\/(live|ready)|metrics)(\?|$)/;

const INFO = 30;
const BOOT_CHATTER = new Set(['InstanceLoader', 'RoutesResolver', 'RouterExplorer']);

type RawRequest = IncomingMessage & { id?: unknown; originalUrl?: string; ip?: string };

/** pino options shared by the HTTP logger and everything logged through Nest's Logger. */
export function pinoOptions(config: AppConfig, destination?: DestinationStream): PinoHttpOptions {
  const pretty = !destination && config.nodeEnv === 'development';
  const options: LoggerOptions & PinoHttpOptions = {
    level: config.logLevel,
    base: { service: 'khqr-orchestrator' },
    redact: { paths: REDACT_PATHS, censor: REDACTED },
    hooks: {
      // Every argument of every log call is scrubbed: secret-named keys at any depth, and sk_/adm_/whsec_/Bearer shapes in strings.
      logMethod(args, method, level) {
        const clean = args.map((arg: unknown) => (arg instanceof Error ? { err: scrubSecrets(arg) } : scrubSecrets(arg)));
        // Nest's boot chatter (one line per module and per route) is debug detail, not news.
        const context = (clean[0] as { context?: unknown } | undefined)?.context;
        if (level === INFO && typeof context === 'string' && BOOT_CHATTER.has(context)) return this.debug(...(clean as Parameters<typeof method>));
        return method.apply(this, clean as Parameters<typeof method>);
      },
    },
    // Only what an operator needs from a request; headers (credentials, cookies) are never logged.
    serializers: {
      req: (req: RawRequest) => ({
        id: req.id,
        method: req.method,
        url: scrubString(String(req.originalUrl ?? req.url ?? '')),
        remote_address: req.ip ?? req.socket?.remoteAddress,
        user_agent: req.headers?.['user-agent'],
      }),
      res: (res: ServerResponse) => ({ status_code: res.statusCode }),
    },
    // Fastify's request id (the caller's X-Request-Id, or a fresh UUID) is on every line of a request.
    customAttributeKeys: { reqId: 'request_id', responseTime: 'response_time_ms' },
    quietReqLogger: true,
    genReqId: (req: IncomingMessage) => String((req as RawRequest).id ?? ''),
    customLogLevel: (_req: IncomingMessage, res: ServerResponse, err?: Error) => (err || res.statusCode >= 500 ? 'error' : 'info'),
    autoLogging: { ignore: (req: IncomingMessage) => QUIET_PATHS.test(String((req as RawRequest).originalUrl ?? req.url ?? '')) },
    ...(pretty
      ? { transport: { target: 'pino-pretty', options: { singleLine: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,service' } } }
      : { formatters: { level: (label: string) => ({ level: label }) } }),
  };
  return options;
}

/**
 * nestjs-pino wired from AppConfig: JSON lines in production (and tests), pino-pretty in
 * development, LOG_LEVEL as the level. `destination` replaces stdout (tests capture logs with it).
 */
export function loggingModule(config: AppConfig, destination?: DestinationStream): DynamicModule {
  const options = pinoOptions(config, destination);
  const params: Params = { pinoHttp: destination ? [options, destination] : options };
  return LoggerModule.forRoot(params);
}
