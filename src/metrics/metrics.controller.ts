import { Controller, Get, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { MetricsService } from './metrics.service';

@ApiTags('Operations')
@Controller('metrics')
export class MetricsController {
  constructor(private readonly metrics: MetricsService) {}

  @Get()
  @ApiOperation({
    summary: 'Prometheus metrics',
    description:
      'Text exposition format. HTTP latency by route and status, orders created and transitions by provider and status, provider call latency and errors, ' +
      'reconciliation sweep duration and the age of the oldest due PENDING transaction, webhook backlog, delivery lag and outcomes, SMM credits, ' +
      'and the Node.js process defaults. Unauthenticated, like most exporters: keep it off the public internet (see docs/operations.md).',
  })
  @ApiOkResponse({ description: 'text/plain; version=0.0.4', content: { 'text/plain': { schema: { type: 'string' } } } })
  async getMetrics(@Res() reply: FastifyReply): Promise<void> {
    const { contentType, body } = await this.metrics.exposition();
    void reply.header('content-type', contentType).header('cache-control', 'no-store').send(body);
  }
}
