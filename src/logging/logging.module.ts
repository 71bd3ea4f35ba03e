import { DynamicModule } from '@nestjs/common';
import { LoggerModule, Params } from 'nestjs-pino';
import pino, { DestinationStream, Logger as PinoInstance, LoggerOptions } from 'pino';
import { AppConfig } from '../config/config';
import { REDACTED, scrubSecrets } from './redact';

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

/** The process's root pino logger (the one Nest's Logger writes through); the request logger hangs request lines off it. */
export const ROOT_LOGGER = Symbol('ROOT_LOGGER');

const INFO = 30;
const BOOT_CHATTER = new Set(['InstanceLoader', 'RoutesResolver', 'RouterExplorer']);

/** pino options for everything the app logs (Nest's Logger, request lines, and children of both). */
export function pinoOptions(config: AppConfig, destination?: DestinationStream): LoggerOptions {
  const pretty = !destination && config.nodeEnv === 'development';
  return {
    level: config.logLevel,
    base: { service: 'khqr-orchestrator' },
    redact: { paths: REDACT_PATHS, censor: REDACTED },
    hooks: {
      // Every argument of every log call is scrubbed: secret-named keys at any depth, and sk_/adm_/whsec_/Bearer shapes in strings.
      // pino calls this only for enabled levels; scrubSecrets copies only what it changes.
      logMethod(args, method, level) {
        for (let i = 0; i < args.length; i++) {
          const arg: unknown = args[i];
          const clean = arg instanceof Error ? { err: scrubSecrets(arg) } : scrubSecrets(arg);
          if (clean !== arg) (args as unknown[])[i] = clean;
        }
        // Nest's boot chatter (one line per module and per route) is debug detail, not news.
        const context = (args[0] as { context?: unknown } | undefined)?.context;
        if (level === INFO && typeof context === 'string' && BOOT_CHATTER.has(context)) return this.debug(...(args as Parameters<typeof method>));
        return method.apply(this, args as Parameters<typeof method>);
      },
    },
    ...(pretty
      ? { transport: { target: 'pino-pretty', options: { singleLine: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,service' } } }
      : { formatters: { level: (label: string) => ({ level: label }) } }),
  };
}

/**
 * nestjs-pino wired from AppConfig: JSON lines in production (and tests), pino-pretty in
 * development, LOG_LEVEL as the level. `destination` replaces stdout (tests capture logs with it).
 * nestjs-pino provides Nest's Logger and the per-request logger lookup (its AsyncLocalStorage);
 * its pino-http middleware is not mounted (`forRoutes: []`): request ids and request lines come
 * from the Fastify hooks in request-logging.ts, which cost far less per request.
 */
export function loggingModule(config: AppConfig, destination?: DestinationStream): DynamicModule {
  const root: PinoInstance = destination ? pino(pinoOptions(config, destination), destination) : pino(pinoOptions(config));
  const params: Params = { pinoHttp: { logger: root }, forRoutes: [] };
  const module = LoggerModule.forRoot(params);
  const rootProvider = { provide: ROOT_LOGGER, useValue: root };
  return { ...module, providers: [...(module.providers ?? []), rootProvider], exports: [...(module.exports ?? []), ROOT_LOGGER] };
}
