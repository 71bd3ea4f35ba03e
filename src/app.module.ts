import { DynamicModule, Module } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { TypeOrmModule } from '@nestjs/typeorm';
import { CheckoutPagesModule } from './checkout-pages/checkout-pages.module';
import { CommonModule } from './common/common.module';
import { AppConfig } from './config/config';
import { dataSourceOptions } from './database/data-source';
import { DemoModule } from './demo/demo.module';
import { EventsModule } from './events/events.module';
import { MerchantsModule } from './merchants/merchants.module';
import { OrdersModule } from './orders/orders.module';
import { BakongModule } from './providers/bakong/bakong.module';
import { BakongapiModule } from './providers/bakongapi/bakongapi.module';
import { AhnajakModule } from './providers/ahnajak/ahnajak.module';
import { CheckoutModule } from './providers/checkout/checkout.module';
import { RaksmeypayModule } from './providers/raksmeypay/raksmeypay.module';
import { ReconciliationModule } from './reconciliation/reconciliation.module';
import { SandboxModule } from './sandbox/sandbox.module';

/** Provider modules: one per gateway, each registering itself in the ProviderRegistry. */
const PROVIDER_MODULES = [RaksmeypayModule, AhnajakModule, CheckoutModule, BakongapiModule, BakongModule];

@Module({})
export class AppModule {
  static forRoot(config: AppConfig, databaseUrl: string): DynamicModule {
    return {
      module: AppModule,
      imports: [
        CommonModule.forRoot(config),
        TypeOrmModule.forRoot(dataSourceOptions(databaseUrl)),
        ScheduleModule.forRoot(),
        MerchantsModule,
        OrdersModule,
        EventsModule,
        ...PROVIDER_MODULES,
        CheckoutPagesModule,
        ReconciliationModule,
        // Only the app module mounts the sandbox; no product module imports it.
        ...(config.sandbox ? [SandboxModule] : []),
        ...(config.seedDemo ? [DemoModule] : []),
      ],
    };
  }
}
