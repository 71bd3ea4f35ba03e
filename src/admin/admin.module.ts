import { Module } from '@nestjs/common';
import { AdminMerchantOpsController, AdminOperationsController } from './admin.controller';
import { AdminService } from './admin.service';

/** Operator endpoints beyond merchant creation: disable/enable, key rotation, cross-merchant order search, manual resolution, audit log. */
@Module({
  controllers: [AdminMerchantOpsController, AdminOperationsController],
  providers: [AdminService],
})
export class AdminModule {}
