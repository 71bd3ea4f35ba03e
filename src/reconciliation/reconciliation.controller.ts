import { Controller, Get, HttpCode, Param, Post, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiExtraModels, ApiOkResponse, ApiOperation, ApiParam, ApiTags, getSchemaPath } from '@nestjs/swagger';
import { DataSource } from 'typeorm';
import { looksLikeId } from '../common/ids';
import { PageQuery, toPage } from '../common/pagination';
import { notFound } from '../common/problem';
import { AdminGuard } from '../merchants/auth';
import { ReconciliationRun } from './reconciliation-run.entity';
import { presentRun, ProviderRunStatsResponse, ReconciliationRunResponse } from './reconciliation.presenter';
import { SweeperService } from './sweeper.service';

@ApiTags('Admin')
@ApiBearerAuth('admin')
@ApiExtraModels(ProviderRunStatsResponse)
@UseGuards(AdminGuard)
@Controller('admin/reconciliation/runs')
export class ReconciliationController {
  constructor(
    private readonly sweeper: SweeperService,
    private readonly db: DataSource,
  ) {}

  @Post()
  @HttpCode(201)
  @ApiOperation({
    summary: 'Run a reconciliation sweep now',
    description:
      'Synchronous: checks EVERY PENDING transaction now (ignoring the back-off schedule), applies the answers, expires what is past expiry after a final check, ' +
      'and answers 201 with the finished run. Safe alongside other instances and the scheduled sweep: transactions another sweep holds are left to it.',
  })
  @ApiCreatedResponse({ type: ReconciliationRunResponse })
  async create(): Promise<ReconciliationRunResponse> {
    return presentRun(await this.sweeper.run('manual'));
  }

  @Get()
  @ApiOperation({ summary: 'Reconciliation runs, newest first' })
  @ApiOkResponse({
    schema: { type: 'object', properties: { data: { type: 'array', items: { $ref: getSchemaPath(ReconciliationRunResponse) } }, has_more: { type: 'boolean' } } },
  })
  async list(@Query() page: PageQuery) {
    const limit = page.limit ?? 20;
    const qb = this.db.getRepository(ReconciliationRun).createQueryBuilder('r');
    if (page.starting_after) qb.where('r.id < :after', { after: page.starting_after });
    const rows = await qb.orderBy('r.id', 'DESC').limit(limit + 1).getMany();
    return toPage(rows, limit, presentRun);
  }

  @Get(':id')
  @ApiOperation({ summary: 'One reconciliation run' })
  @ApiParam({ name: 'id', example: 'run_01jd2b3c4d5e6f7g8h9j0kmnpq' })
  @ApiOkResponse({ type: ReconciliationRunResponse })
  async get(@Param('id') id: string): Promise<ReconciliationRunResponse> {
    const run = looksLikeId('run', id) ? await this.db.getRepository(ReconciliationRun).findOneBy({ id }) : null;
    if (!run) throw notFound('reconciliation run');
    return presentRun(run);
  }
}
