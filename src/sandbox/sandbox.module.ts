import { Module, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { SandboxBackOffice } from './back-office';
import { SandboxBackOfficeRepository } from './back-office.repository';
import { SandboxControlController } from './control.controller';
import { SandboxFaults } from './faults';
import { GATEWAY_SIMULATORS, SERVICE_SIMULATORS, SMM_PANEL_SIMULATORS } from './gateway-simulators';
import { SandboxAhnajakSessionsRepository } from './sandbox-ahnajak-sessions.repository';
import { SandboxCheckoutSessionsRepository } from './sandbox-checkout-sessions.repository';
import { SandboxPanelsRepository } from './sandbox-panels.repository';
import { SandboxPaymentsRepository } from './sandbox-payments.repository';
import { SandboxOnGuard } from './sandbox-on.guard';
import { SandboxReactions } from './simulators';
import { SandboxPanels } from './smm-panels';
import { SandboxInboxSecrets, SandboxWebhookInboxController } from './webhook-inbox.controller';

/**
 * Faithful simulators of every gateway's documented API under /sandbox/{provider}, plus
 * /sandbox/control to pay and to inject faults. Mounted always: with SANDBOX off the simulators act
 * for test-mode payments only (SandboxBackOffice) and the rest answers 404 (SandboxOnGuard).
 */
@Module({
  controllers: [
    SandboxControlController,
    ...Object.values(GATEWAY_SIMULATORS),
    ...Object.values(SMM_PANEL_SIMULATORS),
    SandboxWebhookInboxController,
    ...Object.values(SERVICE_SIMULATORS),
  ],
  providers: [
    SandboxBackOffice,
    SandboxBackOfficeRepository,
    SandboxPaymentsRepository,
    SandboxCheckoutSessionsRepository,
    SandboxAhnajakSessionsRepository,
    SandboxPanelsRepository,
    SandboxFaults,
    SandboxReactions,
    SandboxPanels,
    SandboxInboxSecrets,
    SandboxOnGuard,
  ],
  exports: [SandboxBackOffice, SandboxPaymentsRepository, SandboxFaults, SandboxReactions],
})
export class SandboxModule implements OnModuleInit {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  onModuleInit(): void {
    acceptMultipartForms(this.adapterHost.httpAdapter.getInstance<FastifyInstance>());
  }
}

/**
 * Gateways written in PHP read `$_POST` from urlencoded and multipart/form-data bodies alike
 * (RaksmeyPay's document posts multipart: a curl POSTFIELDS array), so the simulators accept
 * both. Only under /sandbox/: the product API keeps answering 415 to multipart.
 */
function acceptMultipartForms(fastify: FastifyInstance): void {
  fastify.addContentTypeParser(
    'multipart/form-data',
    { parseAs: 'buffer' },
    (request: FastifyRequest, body: Buffer, done: (err: Error | null, body?: unknown) => void) => {
      if (!request.url.startsWith('/sandbox/')) {
        done(Object.assign(new Error('Unsupported Media Type'), { statusCode: 415, code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE' }));
        return;
      }
      // The web Response parses multipart (undici); file parts are not form fields, as in $_POST.
      new Response(new Uint8Array(body), { headers: { 'content-type': String(request.headers['content-type']) } })
        .formData()
        .then((form) => {
          const fields: Record<string, string> = {};
          form.forEach((value, name) => {
            if (typeof value === 'string') fields[name] = value;
          });
          done(null, fields);
        })
        .catch(() => done(Object.assign(new Error('malformed multipart/form-data body'), { statusCode: 400 })));
    },
  );
}
