import { INestApplication } from '@nestjs/common';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import type { AppConfig } from '../config/config';

/** The server the committed openapi.json names (the default PUBLIC_BASE_URL); a running app serves its own PUBLIC_BASE_URL instead. */
export const OPENAPI_ARTEFACT_SERVER = 'http://localhost:3000';

/**
 * The OpenAPI 3 document. Each operation's `operationId` is its controller method's name
 * (`createOrder`, `listOrders`, …): method names are unique verb+noun across the app, and
 * test/openapi-artefact.e2e-spec.ts fails on a clash or a name that is not camelCase.
 */
export function buildOpenApiDocument(app: INestApplication, serverUrl: string): OpenAPIObject {
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('khqr-orchestrator')
      .setDescription(
        "One API in front of Cambodia's KHQR gateways (RaksmeyPay, Ahnajak/ABA Pay, the Bakong KHQR API service, a hosted-checkout gateway, the Bakong Open API). " +
          'Amounts are decimal strings. Errors are RFC 9457 application/problem+json with a stable `code`. Every response carries X-Request-Id.',
      )
      .setVersion('1')
      .addServer(serverUrl)
      .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'Merchant API key (sk_…)' }, 'api_key')
      .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'ADMIN_TOKEN' }, 'admin')
      .addCookieAuth(
        'khqr_session',
        { type: 'apiKey', in: 'cookie', description: 'Dashboard session (POST /auth/login); unsafe methods also need X-CSRF-Token' },
        'session',
      )
      .build(),
    { operationIdFactory: (_controller: string, method: string) => method },
  );
  return withProblemResponses(document);
}

type Schema = NonNullable<NonNullable<OpenAPIObject['components']>['schemas']>[string];

const PROBLEM_SCHEMA: Schema = {
  type: 'object',
  description: 'RFC 9457 problem details. `code` is stable (docs/errors.md lists every code); `detail` is for people.',
  required: ['type', 'title', 'status', 'detail', 'code'],
  properties: {
    type: { type: 'string', example: 'https://khqr-orchestrator.dev/problems/not-found' },
    title: { type: 'string', example: 'Not Found' },
    status: { type: 'integer', example: 404 },
    detail: { type: 'string', example: 'No such order.' },
    code: { type: 'string', example: 'not_found' },
    instance: { type: 'string' },
  },
  additionalProperties: true,
};

/** Every operation answers its errors as problem+json: one `Problem` schema, and a `default` response on each operation that names no other. */
function withProblemResponses(document: OpenAPIObject): OpenAPIObject {
  document.components ??= {};
  document.components.schemas = { ...document.components.schemas, Problem: PROBLEM_SCHEMA };
  for (const item of Object.values(document.paths)) {
    for (const method of ['get', 'put', 'post', 'delete', 'patch'] as const) {
      const op = item[method];
      if (op && !op.responses.default) {
        op.responses.default = {
          description: 'An error, as an RFC 9457 problem',
          content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
        };
      }
    }
  }
  return document;
}

/** OpenAPI 3 at /docs-json, Swagger UI at /docs. */
export function setupSwagger(app: INestApplication, config: AppConfig): void {
  SwaggerModule.setup('docs', app, buildOpenApiDocument(app, config.publicBaseUrl), { jsonDocumentUrl: 'docs-json', customSiteTitle: 'khqr-orchestrator API' });
}
