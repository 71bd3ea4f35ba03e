import { ApiProperty, ApiPropertyOptional, ApiSchema } from '@nestjs/swagger';
import type { ProviderRunStats } from './plan';
import type { ReconciliationRun } from './reconciliation-run.entity';

export class ProviderRunStatsResponse {
  @ApiProperty({ description: 'Gateway calls made (a Bakong batch of up to 50 counts once).' }) calls: number;
  @ApiProperty({ description: 'Calls that failed (timeout, 5xx, 429, unreadable answer, refusal).' }) errors: number;
  @ApiProperty({ description: 'Median call latency, ms.' }) p50_ms: number;
  @ApiProperty({ description: '99th percentile call latency, ms.' }) p99_ms: number;
}

@ApiSchema({ description: 'One reconciliation sweep.' })
export class ReconciliationRunResponse {
  @ApiProperty({ example: 'run_01jd2b3c4d5e6f7g8h9j0kmnpq' }) id: string;
  @ApiProperty({ enum: ['reconciliation_run'] }) object: string;
  @ApiProperty({
    enum: ['scheduled', 'manual'],
    description: 'scheduled: the timer, checks what is due; manual: POST /admin/reconciliation/runs, checks every PENDING transaction.',
  })
  trigger: string;
  @ApiProperty({ enum: ['running', 'completed', 'interrupted', 'failed'], description: 'interrupted: the instance shut down mid-run (claims were released).' })
  status: string;
  @ApiProperty({ description: 'The instance that ran it (host:pid).' }) instance: string;
  @ApiProperty({ format: 'date-time' }) started_at: string;
  @ApiPropertyOptional({ format: 'date-time', nullable: true }) finished_at: string | null;
  @ApiPropertyOptional({ nullable: true }) duration_ms: number | null;
  @ApiProperty({ description: 'PENDING transactions this run took (leased) to handle.' }) claimed: number;
  @ApiProperty({ description: 'Transactions a gateway was asked about.' }) checked: number;
  @ApiProperty({ description: 'Orders this run moved to PAID.' }) paid: number;
  @ApiProperty({ description: 'Orders this run moved to EXPIRED.' }) expired: number;
  @ApiProperty({ description: 'Orders that gained a flag (late_payment, amount_mismatch).' }) flagged: number;
  @ApiProperty({ description: 'Transactions whose check failed or was skipped (open circuit breaker); each keeps last_error.' }) errors: number;
  @ApiProperty({ type: 'object', additionalProperties: { $ref: '#/components/schemas/ProviderRunStatsResponse' }, description: 'Per provider id.' })
  providers: Record<string, ProviderRunStats>;
  @ApiPropertyOptional({ nullable: true, description: 'Why a failed run failed.' }) error: string | null;
}

export function presentRun(run: ReconciliationRun): ReconciliationRunResponse {
  return {
    id: run.id,
    object: 'reconciliation_run',
    trigger: run.trigger,
    status: run.status,
    instance: run.instance,
    started_at: run.startedAt.toISOString(),
    finished_at: run.finishedAt ? run.finishedAt.toISOString() : null,
    duration_ms: run.finishedAt ? run.finishedAt.getTime() - run.startedAt.getTime() : null,
    claimed: run.claimed,
    checked: run.checked,
    paid: run.paid,
    expired: run.expired,
    flagged: run.flagged,
    errors: run.errors,
    providers: run.providers,
    error: run.error,
  };
}
