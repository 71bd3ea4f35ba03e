import { Module } from '@nestjs/common';
import { AdminMerchantOpsController, AdminOperationsController } from './admin.controller';
import { AdminService } from './admin.service';
import { AdminUsersController } from './admin-users.controller';

/** Operator endpoints beyond merchant creation: disable/enable, key rotation, cross-merchant order search, manual resolution, audit log. */
@Module({
  controllers: [AdminMerchantOpsController, AdminOperationsController, AdminUsersController],
  providers: [AdminService],
})
export class AdminModule {}
