import { Global, Module } from '@nestjs/common';
import { ApiKeysRepository } from './api-keys.repository';
import { ApiKeysService } from './api-keys.service';
import { AdminGuard, ApiKeyGuard } from './auth';
import { AdminMerchantsController, ProviderAccountsController } from './merchants.controller';
import { MerchantsRepository } from './merchants.repository';
import { MerchantsService } from './merchants.service';
import { ProviderAccountsRepository } from './provider-accounts.repository';
import { ProviderAccountsService } from './provider-accounts.service';

@Global()
@Module({
  controllers: [AdminMerchantsController, ProviderAccountsController],
  providers: [
    MerchantsRepository,
    ApiKeysRepository,
    ProviderAccountsRepository,
    ApiKeysService,
    MerchantsService,
    ProviderAccountsService,
    ApiKeyGuard,
    AdminGuard,
  ],
  exports: [
    MerchantsRepository,
    ApiKeysRepository,
    ProviderAccountsRepository,
    ApiKeysService,
    MerchantsService,
    ProviderAccountsService,
    ApiKeyGuard,
    AdminGuard,
  ],
})
export class MerchantsModule {}
