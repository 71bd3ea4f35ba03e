import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { DatabaseProbe } from '../database/database-probe';
import { HealthController } from './health.controller';
import { ReadinessChecks } from './readiness.service';

/** /health/live and /health/ready (terminus). */
@Module({
  imports: [TerminusModule.forRoot({ errorLogStyle: 'json' })],
  controllers: [HealthController],
  providers: [DatabaseProbe, ReadinessChecks],
})
export class HealthModule {}
