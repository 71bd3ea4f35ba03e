import 'reflect-metadata';
import fastifyCookie from '@fastify/cookie';
import { INestApplication, Logger, ValidationPipe } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { randomUUID } from 'node:crypto';
import { Logger as PinoNestLogger } from 'nestjs-pino';
import { AppModule, AppRuntimeOptions } from './app.module';
import { flattenValidationErrors, ProblemFilter, problemFromUnknown, validationProblem } from './common/problem';
import { installLingeringClose } from './common/http/lingering-close';
import { setupSwagger } from './common/swagger';
import { AppConfig } from './config/config';
import { EmbeddedDatabase, startEmbeddedPostgres } from './database/embedded-postgres';
import { runMigrations } from './database/migrate';
import { registerDashboard } from './dashboard/dashboard';
import { installGracefulClose } from './health/graceful-close';
import { installRequestLogging } from './logging/request-logging';
import { installHttpMetrics } from './metrics/http-metrics';
import { registerSecurity } from './security/security-headers';

export const BODY_LIMIT_BYTES = 1024 * 1024;

export interface RunningApp {
  app: NestFastifyApplication;
  config: AppConfig;
  databaseUrl: string;
  /** The port actually bound (useful when PORT=0). */
  port: number;
  close(): Promise<void>;
}

/** Builds the Nest application on Fastify with the pipes, filters and hooks every entry point shares. */
export async function createApp(config: AppConfig, databaseUrl: string, runtime: AppRuntimeOptions = {}): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({
    bodyLimit: BODY_LIMIT_BYTES,
    trustProxy: config.trustProxy,
    // Accept the caller's X-Request-Id when it is sane, else make one; echoed on every response.
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && /^[\w.:-]{1,128}$/.test(given) ? given : randomUUID();
    },
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 500 },
    // Errors Fastify raises before routing (a malformed %-escape in the path) never reach Nest's filter: same problem+json here, without echoing the URL.
    frameworkErrors: (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
      const problem = problemFromUnknown(error);
      void reply
        .status(problem.status)
        .header('content-type', 'application/problem+json; charset=utf-8')
        .header('x-request-id', request.id)
        .send(problem.toBody());
    },
  } as ConstructorParameters<typeof FastifyAdapter>[0]);
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config, databaseUrl, runtime), adapter, {
    rawBody: true,
    // Nest's own messages wait for pino (nestjs-pino), so every line has the same JSON shape and redaction.
    bufferLogs: true,
    abortOnError: false,
  });
  app.useLogger(app.get(PinoNestLogger));
  app.flushLogs();
  const fastify = app.getHttpAdapter().getInstance();
  // Synchronous hooks: an async one costs a promise per request.
  fastify.addHook('onRequest', (request, reply, done) => {
    void reply.header('x-request-id', request.id);
    done();
  });
  // Parses the Cookie header into request.cookies and gives reply.setCookie (the dashboard's session cookie, src/users/session-cookie.ts).
  await app.register(fastifyCookie);
  installRequestLogging(app);
  installLingeringClose(app);
  app.useGlobalPipes(
    new ValidationPipe({
      whitelist: true,
      forbidNonWhitelisted: true,
      transform: true,
      forbidUnknownValues: true,
      exceptionFactory: (errors) => validationProblem(flattenValidationErrors(errors)),
    }),
  );
  app.useGlobalFilters(new ProblemFilter());
  // No app.enableShutdownHooks(): main.ts owns SIGINT/SIGTERM and closes the app, then the embedded database, in order.
  await registerSecurity(app, config);
  installHttpMetrics(app);
  installGracefulClose(app);
  if (config.apiDocs) setupSwagger(app, config);
  await registerDashboard(app, runtime.dashboardDir);
  return app;
}

/** Starts everything `npm start` needs: the database (embedded when DATABASE_URL is unset), migrations, the app. */
export async function startApp(config: AppConfig): Promise<RunningApp> {
  const logger = new Logger('Bootstrap');
  let embedded: EmbeddedDatabase | null = null;
  let databaseUrl = config.databaseUrl;
  if (!databaseUrl) {
    logger.log(`DATABASE_URL is unset: starting embedded PostgreSQL in ${config.dataDir}`);
    embedded = await startEmbeddedPostgres(config.dataDir);
    databaseUrl = embedded.url;
  }
  try {
    const applied = await runMigrations(databaseUrl);
    const app = await createApp(config, databaseUrl);
    // Logged once the app's logger (JSON in production) is in place.
    if (applied.length) logger.log(`applied migrations: ${applied.join(', ')}`);
    if (config.sandboxForced) {
      logger.warn(
        `SANDBOX=true beside ${config.databaseUrl ? 'a real database (DATABASE_URL)' : 'NODE_ENV=production'}: gateway simulators and /sandbox/control are mounted; ` +
          `they act only for accounts whose base_url is under ${config.publicBaseUrl}/sandbox/`,
      );
    }
    await app.listen({ port: config.port, host: config.host });
    const address = app.getHttpServer().address();
    const port = typeof address === 'object' && address ? address.port : config.port;
    let closed = false;
    return {
      app,
      config,
      databaseUrl,
      port,
      close: async () => {
        if (closed) return;
        closed = true;
        await app.close();
        if (embedded) await embedded.stop();
      },
    };
  } catch (err) {
    if (embedded) await embedded.stop();
    throw err;
  }
}

export type { INestApplication };
