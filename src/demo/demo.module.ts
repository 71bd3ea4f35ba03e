import { Injectable, Logger, Module, OnApplicationBootstrap } from '@nestjs/common';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { liveScope } from '../common/scope';
import { AppConfig } from '../config/config';
import { EventsModule } from '../events/events.module';
import { WebhookEndpointsService } from '../events/webhook-endpoints.service';
import { FulfillmentModule } from '../fulfillment/fulfillment.module';
import { SmmPanelsService } from '../fulfillment/smm-panels.service';
import { MerchantsService } from '../merchants/merchants.service';
import { ProviderAccountsService } from '../merchants/provider-accounts.service';
import { ProviderRegistry } from '../providers/provider';
import { randomToken } from '../common/crypto';
import { UsersService } from '../users/users.service';
import { DEMO_ACCOUNTS } from './demo-accounts';
import { DEMO_SMM_PANEL } from './demo-smm-panel';

export interface DemoMerchant {
  merchant_id: string;
  api_key: string;
  /** Absent in a demo-merchant.json written before test mode. */
  test_api_key?: string;
}

/** A dashboard user of the demo, with the password generated at this start (printed beside the admin token). */
export interface DemoUser {
  email: string;
  password: string;
}

/**
 * Embedded mode only: a demo merchant whose gateway accounts point at the sandbox, so a new
 * user can create and pay an order with nothing configured. Its key is kept in DATA_DIR so
 * it is the same on every start.
 */
@Injectable()
export class DemoSeeder implements OnApplicationBootstrap {
  private readonly logger = new Logger('Demo');
  demo: DemoMerchant | null = null;
  /** demo@example.com (owner of the demo merchant) and operator@example.com: new passwords on every start, as only their hashes are kept. */
  users: DemoUser[] = [];

  constructor(
    private readonly config: AppConfig,
    private readonly merchants: MerchantsService,
    private readonly accounts: ProviderAccountsService,
    private readonly registry: ProviderRegistry,
    private readonly panels: SmmPanelsService,
    private readonly webhooks: WebhookEndpointsService,
    private readonly people: UsersService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const file = join(this.config.dataDir, 'demo-merchant.json');
    let demo: DemoMerchant | null = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as DemoMerchant) : null;
    if (demo) {
      if (!(await this.merchants.exists(demo.merchant_id))) demo = null;
    }
    if (!demo) {
      const created = await this.merchants.create('Demo Merchant');
      demo = { merchant_id: created.merchant.id, api_key: created.apiKey, test_api_key: created.testApiKey };
      mkdirSync(this.config.dataDir, { recursive: true });
      writeFileSync(file, JSON.stringify(demo, null, 2) + '\n', { mode: 0o600 });
    }
    const sandboxBase = `${this.config.publicBaseUrl}/sandbox`;
    for (const provider of this.registry.all()) {
      await this.accounts.put(liveScope(demo.merchant_id), provider.id, DEMO_ACCOUNTS[provider.id](sandboxBase));
    }
    await this.panels.put(demo.merchant_id, DEMO_SMM_PANEL(sandboxBase));
    // Subscribe the sandbox's webhook inbox, so signed deliveries can be watched at GET /sandbox/webhook-inbox.
    if (this.config.sandbox) await this.webhooks.ensureEndpoint(liveScope(demo.merchant_id), `${sandboxBase}/webhook-inbox`);
    this.demo = demo;
    this.users = [];
    for (const [email, role] of [
      ['demo@example.com', 'owner'],
      ['operator@example.com', 'operator'],
    ] as const) {
      const password = randomToken(12);
      await this.people.ensure({ email, password, role, merchantId: role === 'operator' ? null : demo.merchant_id });
      this.users.push({ email, password });
    }
    this.logger.log(`demo merchant ${demo.merchant_id} ready`);
  }
}

@Module({ imports: [FulfillmentModule, EventsModule], providers: [DemoSeeder], exports: [DemoSeeder] })
export class DemoModule {}
