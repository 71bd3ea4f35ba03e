import { Controller, Get, ServiceUnavailableException } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckResult, HealthCheckService } from '@nestjs/terminus';
import { problem } from '../common/problem';
import { HEALTH_ERRORS } from './health.errors';
import { ReadinessChecks } from './readiness.service';

@ApiTags('Operations')
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly checks: ReadinessChecks,
  ) {}

  @Get('live')
  @ApiOperation({
    summary: 'Liveness',
    description: 'The process is up and serving HTTP. Touches nothing else (not the database), so a database outage never gets the process restarted.',
  })
  @ApiOkResponse({ schema: { example: { status: 'ok', uptime_seconds: 42 } } })
  getLiveness() {
    return { status: 'ok', uptime_seconds: Math.round(process.uptime()) };
  }

  @Get('ready')
  @HealthCheck({ swaggerDocumentation: false })
  @ApiOperation({
    summary: 'Readiness',
    description:
      'Ready to take traffic: PostgreSQL answers within 1.5 s, every migration of this build is applied, and every background loop ' +
      '(reconciliation sweeper, webhook dispatcher) has a fresh heartbeat. 503 problem+json (code `not_ready`) with the failing checks otherwise, ' +
      'and 503 `shutting_down` from the moment a graceful stop begins. `provider_credentials` is always up; its `warnings` count gateway tokens ' +
      '(Bakong) that expire within 14 days or have expired.',
  })
  @ApiOkResponse({
    schema: { example: { status: 'ok', info: { database: { status: 'up', latency_ms: 1 }, migrations: { status: 'up', applied: 2 } }, error: {} } },
  })
  @ApiResponse({ status: 503, description: 'Not ready: application/problem+json with `checks` naming what is down.' })
  async getReadiness(): Promise<HealthCheckResult> {
    if (this.checks.stopping) {
      throw problem(HEALTH_ERRORS.shutting_down, 'this instance is shutting down', { headers: { 'Retry-After': '5', 'Cache-Control': 'no-store' } });
    }
    try {
      return await this.health.check([
        () => this.checks.database(),
        () => this.checks.migrations(),
        () => this.checks.loops(),
        () => this.checks.credentials(),
      ]);
    } catch (err) {
      if (!(err instanceof ServiceUnavailableException)) throw err;
      const result = err.getResponse() as HealthCheckResult;
      const down = Object.keys(result.error ?? {});
      throw problem(HEALTH_ERRORS.not_ready, `not ready: ${down.join(', ') || 'a check failed'}`, {
        checks: result.details,
        headers: { 'Retry-After': '5', 'Cache-Control': 'no-store' },
      });
    }
  }
}
