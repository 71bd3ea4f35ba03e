import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { ProviderRunStats } from './plan';

export type RunTrigger = 'scheduled' | 'manual';
export type RunStatus = 'running' | 'completed' | 'interrupted' | 'failed';

/** One sweep: what it claimed, checked and changed, and how each provider behaved. */
@Entity('reconciliation_runs')
export class ReconciliationRun {
  @PrimaryColumn('text') id: string;
  @Column('text') trigger: RunTrigger;
  @Column('text') status: RunStatus;
  /** Which app instance ran it (host:pid). */
  @Column('text') instance: string;
  @Column('timestamptz', { name: 'started_at' }) startedAt: Date;
  @Column('timestamptz', { name: 'finished_at', nullable: true }) finishedAt: Date | null;
  @Column('integer') claimed: number;
  @Column('integer') checked: number;
  @Column('integer') paid: number;
  @Column('integer') expired: number;
  @Column('integer') flagged: number;
  @Column('integer') errors: number;
  @Column('jsonb') providers: Record<string, ProviderRunStats>;
  @Column('text', { nullable: true }) error: string | null;
}
