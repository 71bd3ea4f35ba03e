import { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { AppConfig } from '../config/config';

/** OpenAPI 3 at /docs-json, Swagger UI at /docs. */
export function setupSwagger(app: INestApplication, config: AppConfig): void {
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('khqr-orchestrator')
      .setDescription(
        "One API in front of Cambodia's KHQR gateways (RaksmeyPay, Ahnajak/ABA Pay, the Bakong KHQR API service, a hosted-checkout gateway, the Bakong Open API). " +
          'Amounts are decimal strings. Errors are RFC 9457 application/problem+json with a stable `code`. Every response carries X-Request-Id.',
      )
      .setVersion('1')
      .addServer(config.publicBaseUrl)
      .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'Merchant API key (sk_…)' }, 'api_key')
      .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'ADMIN_TOKEN' }, 'admin')
      .addCookieAuth(
        'khqr_session',
        { type: 'apiKey', in: 'cookie', description: 'Dashboard session (POST /auth/login); unsafe methods also need X-CSRF-Token' },
        'session',
      )
      .build(),
  );
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json', customSiteTitle: 'khqr-orchestrator API' });
}
