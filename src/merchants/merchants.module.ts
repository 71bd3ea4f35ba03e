import { Global, Module } from '@nestjs/common';
import { ApiKeysRepository } from './api-keys.repository';
import { ApiKeysService } from './api-keys.service';
import { ApiKeyManagement } from './api-key-management.service';
import { ApiKeysController } from './api-keys.controller';
import { AdminGuard, ApiKeyGuard } from './auth';
import { GatewaysController } from './gateways.controller';
import { AdminMerchantsController, ProviderAccountsController } from './merchants.controller';
import { MerchantsRepository } from './merchants.repository';
import { MerchantsService } from './merchants.service';
import { ProviderAccountsRepository } from './provider-accounts.repository';
import { ProviderAccountsService } from './provider-accounts.service';
import { TeamController } from './team.controller';

/** Everything here is used by other modules too (auth guards, repositories, services), so all of it is exported. */
const SHARED = [
  MerchantsRepository,
  ApiKeysRepository,
  ProviderAccountsRepository,
  ApiKeysService,
  MerchantsService,
  ProviderAccountsService,
  ApiKeyGuard,
  AdminGuard,
];

@Global()
@Module({
  controllers: [AdminMerchantsController, ProviderAccountsController, GatewaysController, ApiKeysController, TeamController],
  providers: [...SHARED, ApiKeyManagement],
  exports: SHARED,
})
export class MerchantsModule {}
