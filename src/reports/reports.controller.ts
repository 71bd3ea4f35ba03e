import { Controller, Get, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiProperty, ApiResponse, ApiTags } from '@nestjs/swagger';
import { CURRENCIES } from '../common/money';
import type { Scope } from '../common/scope';
import { ApiKeyGuard, CurrentScope } from '../merchants/auth';
import { PROVIDER_IDS } from '../providers/provider';
import { REPORT_TIME_ZONE } from './reports.repository';
import { ReportsService } from './reports.service';

class StatusCounts {
  @ApiProperty({ example: 3 }) PENDING: number;
  @ApiProperty({ example: 12 }) PAID: number;
  @ApiProperty({ example: 1 }) EXPIRED: number;
  @ApiProperty({ example: 0 }) CANCELLED: number;
  @ApiProperty({ example: 0 }) FAILED: number;
}

export class SummaryGroupView {
  @ApiProperty({ enum: PROVIDER_IDS, example: 'bakong' }) provider: string;
  @ApiProperty({ enum: CURRENCIES, example: 'USD' }) currency: string;
  @ApiProperty({ description: 'Orders created in the period', example: 16 }) orders: number;
  @ApiProperty({ type: StatusCounts, description: 'Those orders by their status now' }) statuses: StatusCounts;
  @ApiProperty({ description: 'What the PAID ones among them paid, a decimal string', example: '184.50' }) paid_amount: string;
}

class TodayView {
  @ApiProperty({ format: 'date', example: '2026-12-05' }) date: string;
  @ApiProperty({ type: [SummaryGroupView] }) groups: SummaryGroupView[];
}

class PeriodView {
  @ApiProperty({ format: 'date', example: '2026-11-29' }) from: string;
  @ApiProperty({ format: 'date', example: '2026-12-05' }) to: string;
  @ApiProperty({ type: [SummaryGroupView] }) groups: SummaryGroupView[];
}

class DayView {
  @ApiProperty({ format: 'date', example: '2026-12-04' }) date: string;
  @ApiProperty({ type: [SummaryGroupView], description: 'Empty on a day without orders' }) groups: SummaryGroupView[];
}

export class PaymentsSummaryView {
  @ApiProperty({ enum: ['payments_summary'] }) object: string;
  @ApiProperty({ description: 'The mode counted: the key’s (a test key sees test orders only).', example: true }) livemode: boolean;
  @ApiProperty({ enum: [REPORT_TIME_ZONE], description: 'The zone days are counted in' }) time_zone: string;
  @ApiProperty({ type: TodayView }) today: TodayView;
  @ApiProperty({ type: PeriodView, description: 'Today and the 6 days before it' }) last_7_days: PeriodView;
  @ApiProperty({ type: [DayView], description: 'Each of the 7 days, oldest first' }) daily: DayView[];
}

@ApiTags('Reports')
@ApiBearerAuth('api_key')
@UseGuards(ApiKeyGuard)
@Controller('v1/reports')
export class ReportsController {
  constructor(private readonly reports: ReportsService) {}

  @Get('summary')
  @ApiOperation({
    summary: 'Payments summary: today and the last 7 days',
    description:
      `Orders created today and in the last 7 days (today and the 6 days before), days counted in ${REPORT_TIME_ZONE} (UTC+7), ` +
      'by gateway and currency: how many, how many are in each status now, and what the PAID ones paid (decimal strings, per currency, never summed across currencies). ' +
      'Groups without orders are left out; `daily` lists every one of the 7 days. Only the orders of the key’s mode are counted (`livemode`).',
  })
  @ApiOkResponse({ type: PaymentsSummaryView })
  @ApiResponse({ status: 401, description: 'Missing or invalid API key (problem)' })
  getPaymentsSummary(@CurrentScope() scope: Scope) {
    return this.reports.summary(scope);
  }
}
