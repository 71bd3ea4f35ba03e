import { Controller, Get, HttpCode, Param, Post, Query, UseGuards } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCookieAuth,
  ApiCreatedResponse,
  ApiExtraModels,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
  getSchemaPath,
} from '@nestjs/swagger';
import { PageQuery } from '../common/pagination';
import { AdminGuard } from '../merchants/auth';
import { presentRun, ProviderRunStatsResponse, ReconciliationRunResponse } from './reconciliation.presenter';
import { ReconciliationRunsService } from './reconciliation-runs.service';
import { SweeperService } from './sweeper.service';

@ApiTags('Admin')
@ApiBearerAuth('admin')
@ApiCookieAuth('session')
@ApiExtraModels(ProviderRunStatsResponse)
@UseGuards(AdminGuard)
@Controller('admin/reconciliation/runs')
export class ReconciliationController {
  constructor(
    private readonly sweeper: SweeperService,
    private readonly runs: ReconciliationRunsService,
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
  async createReconciliationRun(): Promise<ReconciliationRunResponse> {
    return presentRun(await this.sweeper.run('manual'));
  }

  @Get()
  @ApiOperation({ summary: 'Reconciliation runs, newest first' })
  @ApiOkResponse({
    schema: {
      type: 'object',
      properties: { data: { type: 'array', items: { $ref: getSchemaPath(ReconciliationRunResponse) } }, has_more: { type: 'boolean' } },
    },
  })
  listReconciliationRuns(@Query() page: PageQuery) {
    return this.runs.list(page);
  }

  @Get(':id')
  @ApiOperation({ summary: 'One reconciliation run' })
  @ApiParam({ name: 'id', example: 'run_01jd2b3c4d5e6f7g8h9j0kmnpq' })
  @ApiOkResponse({ type: ReconciliationRunResponse })
  getReconciliationRun(@Param('id') id: string): Promise<ReconciliationRunResponse> {
    return this.runs.get(id);
  }
}
