import { Injectable } from '@nestjs/common';
import { looksLikeId } from '../common/ids';
import { Page, PageQuery, toPage } from '../common/pagination';
import { notFound } from '../common/problem';
import { presentRun, ReconciliationRunResponse } from './reconciliation.presenter';
import { ReconciliationRunsRepository } from './reconciliation-runs.repository';

/** The run history behind /admin/reconciliation/runs. */
@Injectable()
export class ReconciliationRunsService {
  constructor(private readonly runs: ReconciliationRunsRepository) {}

  async list(page: PageQuery): Promise<Page<ReconciliationRunResponse>> {
    const limit = page.limit ?? 20;
    // One more than the page: tells whether there is a next one.
    const rows = await this.runs.history(limit + 1, page.starting_after);
    return toPage(rows, limit, presentRun);
  }

  async get(id: string): Promise<ReconciliationRunResponse> {
    const run = looksLikeId('run', id) ? await this.runs.findById(id) : null;
    if (!run) throw notFound('reconciliation run');
    return presentRun(run);
  }
}
