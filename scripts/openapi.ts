/**
 * `npm run openapi`: writes openapi.json (the OpenAPI document the app serves, with the default
 * server URL) and regenerates clients/typescript/schema.d.ts from it. No database is needed: the
 * document is built from the controllers' metadata in Nest's preview mode (nothing instantiated).
 * test/openapi-artefact.e2e-spec.ts checks both files against the running app.
 */
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { writeFileSync } from 'node:fs';
import { AppModule } from '../src/app.module';
import { buildOpenApiDocument, OPENAPI_ARTEFACT_SERVER } from '../src/common/swagger';
import { loadConfig } from '../src/config/config';
import { OPENAPI_JSON, openApiJsonText, writeClientSchema } from './openapi-files';

async function main(): Promise<void> {
  // The configuration the tests and `npm start` serve the document with: sandbox on (its control endpoints are documented).
  const config = loadConfig({
    NODE_ENV: 'development',
    DATABASE_URL: 'postgres://unused@127.0.0.1:1/unused',
    ADMIN_TOKEN: 'adm_openapi_generator_only_0000',
    ENCRYPTION_KEY: Buffer.alloc(32).toString('base64'),
    SANDBOX: 'true',
    SEED_DEMO: 'false',
    BACKGROUND_JOBS: 'false',
    LOG_LEVEL: 'silent',
  });
  const app = await NestFactory.create(AppModule.forRoot(config, config.databaseUrl ?? ''), new FastifyAdapter(), { preview: true, logger: false });
  try {
    writeFileSync(OPENAPI_JSON, openApiJsonText(buildOpenApiDocument(app, OPENAPI_ARTEFACT_SERVER)));
  } finally {
    await app.close();
  }
  writeClientSchema();
  process.stdout.write('wrote openapi.json and clients/typescript/schema.d.ts\n');
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
