import { Global, Module } from '@nestjs/common';
import { AuditLogRepository } from './audit-log.repository';

/** The audit log, written by admin, orders (manual resolution) and fulfillment (credit resolution). */
@Global()
@Module({ providers: [AuditLogRepository], exports: [AuditLogRepository] })
export class AuditModule {}
