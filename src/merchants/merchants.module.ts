import { Global, Module } from '@nestjs/common';
import { ApiKeysService } from './api-keys.service';
import { AdminGuard, ApiKeyGuard } from './auth';
import { AdminMerchantsController, ProviderAccountsController } from './merchants.controller';
import { MerchantsService } from './merchants.service';
import { ProviderAccountsService } from './provider-accounts.service';

@Global()
@Module({
  controllers: [AdminMerchantsController, ProviderAccountsController],
  providers: [ApiKeysService, MerchantsService, ProviderAccountsService, ApiKeyGuard, AdminGuard],
  exports: [ApiKeysService, MerchantsService, ProviderAccountsService, ApiKeyGuard, AdminGuard],
})
export class MerchantsModule {}
