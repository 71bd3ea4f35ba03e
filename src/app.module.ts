import { AuditModule } from './audit/audit.module';
import { DynamicModule, Global, Module, OnModuleDestroy } from '@nestjs/common';
import type { DestinationStream } from 'pino';
import { ScheduleModule } from '@nestjs/schedule';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AdminModule } from './admin/admin.module';
import { CheckoutPagesModule } from './checkout-pages/checkout-pages.module';
import { BackgroundLoops } from './common/background-loops';
import { CommonModule } from './common/common.module';
import { AppConfig } from './config/config';
import { dataSourceOptions } from './database/data-source';
import { ENTITIES } from './entities';
import { DemoModule } from './demo/demo.module';
import { EventsModule } from './events/events.module';
import { EventsRepository } from './events/events.repository';
import { OutboxWriter } from './events/outbox.writer';
import { HealthModule } from './health/health.module';
import { loggingModule } from './logging/logging.module';
import { MerchantsModule } from './merchants/merchants.module';
import { MetricsModule } from './metrics/metrics.module';
import { NotificationsModule } from './notifications/notifications.module';
import { OrdersModule } from './orders/orders.module';
import { PaymentLinksModule } from './payment-links/payment-links.module';
import { GATEWAY_MODULES } from './providers/gateways';
import { ProviderRegistry } from './providers/provider';
import { ReconciliationModule } from './reconciliation/reconciliation.module';
import { RefundsModule } from './refunds/refunds.module';
import { SandboxModule } from './sandbox/sandbox.module';
import { RateLimitModule } from './security/rate-limit';
import { UsersModule } from './users/users.module';
import { ReportsModule } from './reports/reports.module';

/** Process-level wiring that is not configuration (tests pass a log stream to capture logs). */
export interface AppRuntimeOptions {
  logStream?: DestinationStream;
  /** Where the dashboard's built web app is (default dist/web; tests point it elsewhere). */
  dashboardDir?: string;
}

/**
 * Feature-folder singletons any module may inject (gateway modules register into the registry;
 * several modules append events through the outbox writer). Wired here, in the composition root,
 * rather than in CommonModule, so that common/ depends on no feature folder.
 */
@Global()
@Module({ providers: [ProviderRegistry, OutboxWriter, EventsRepository], exports: [ProviderRegistry, OutboxWriter, EventsRepository] })
class SharedServicesModule {}

@Module({})
export class AppModule implements OnModuleDestroy {
  constructor(private readonly loops: BackgroundLoops) {}

  /** The root module is the first to stop: from here no loop starts a new iteration while the feature modules wind down. */
  onModuleDestroy(): void {
    this.loops.halt();
  }

  static forRoot(config: AppConfig, databaseUrl: string, runtime: AppRuntimeOptions = {}): DynamicModule {
    return {
      module: AppModule,
      imports: [
        loggingModule(config, runtime.logStream),
        ScheduleModule.forRoot(),
        CommonModule.forRoot(config),
        SharedServicesModule,
        TypeOrmModule.forRoot(dataSourceOptions(databaseUrl, ENTITIES)),
        AuditModule,
        UsersModule,
        MerchantsModule,
        OrdersModule,
        EventsModule,
        ...GATEWAY_MODULES,
        CheckoutPagesModule,
        PaymentLinksModule,
        ReconciliationModule,
        RefundsModule,
        MetricsModule,
        HealthModule,
        AdminModule,
        NotificationsModule,
        ReportsModule,
        RateLimitModule.forRoot(config),
        // Only the app module mounts the sandbox; no product module imports it. Always mounted: test mode needs the
        // simulators, and with SANDBOX off they act for test-mode payments only (docs/test-mode.md).
        SandboxModule,
        ...(config.seedDemo ? [DemoModule] : []),
      ],
    };
  }
}
