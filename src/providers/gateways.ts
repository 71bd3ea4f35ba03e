import type { Type } from '@nestjs/common';
import { AhnajakModule } from './ahnajak/ahnajak.module';
import { AhnajakProvider } from './ahnajak/ahnajak.provider';
import { BakongModule } from './bakong/bakong.module';
import { BakongProvider } from './bakong/bakong.provider';
import { BakongapiModule } from './bakongapi/bakongapi.module';
import { BakongapiProvider } from './bakongapi/bakongapi.provider';
import { CheckoutModule } from './checkout/checkout.module';
import { CheckoutProvider } from './checkout/checkout.provider';
import { PaywayModule } from './payway/payway.module';
import { PaywayProvider } from './payway/payway.provider';
import { PaymentProvider, ProviderId } from './provider';
import { RaksmeypayModule } from './raksmeypay/raksmeypay.module';
import { RaksmeypayProvider } from './raksmeypay/raksmeypay.provider';

/** What registers one gateway: its Nest module (which registers the provider) and its provider class, whose `id` is the key. */
interface Gateway<Id extends ProviderId> {
  module: Type<unknown>;
  provider: Type<PaymentProvider<never> & { readonly id: Id }>;
}

/**
 * Every gateway, by id: the one list the app module, the registry and the account types derive
 * from. A gateway id (provider.ts PROVIDER_IDS) missing here, or a provider class filed under
 * another id, does not compile. The order is the registration order (registry.all(), which
 * e.g. the unknown_provider problem lists).
 */
export const GATEWAYS = {
  raksmeypay: { module: RaksmeypayModule, provider: RaksmeypayProvider },
  bakongapi: { module: BakongapiModule, provider: BakongapiProvider },
  bakong: { module: BakongModule, provider: BakongProvider },
  ahnajak: { module: AhnajakModule, provider: AhnajakProvider },
  checkout: { module: CheckoutModule, provider: CheckoutProvider },
  payway: { module: PaywayModule, provider: PaywayProvider },
} as const satisfies { [Id in ProviderId]: Gateway<Id> };

/** A gateway's own account type, read off its provider class. */
export type GatewayAccount<Id extends ProviderId> = InstanceType<(typeof GATEWAYS)[Id]['provider']> extends PaymentProvider<infer Account> ? Account : never;

/** The gateway modules, for the app module's imports: each registers its provider in the ProviderRegistry. */
export const GATEWAY_MODULES: Type<unknown>[] = Object.values(GATEWAYS).map((gateway) => gateway.module);
