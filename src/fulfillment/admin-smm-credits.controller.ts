import { Body, Controller, Get, HttpCode, Param, Post, Query, Req, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiCookieAuth, ApiOkResponse, ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsBoolean, IsIn, IsNotEmpty, IsOptional, IsString, MaxLength } from 'class-validator';
import { PageQuery } from '../common/pagination';
import { AdminGuard } from '../merchants/auth';
import { presentCredit, SmmCreditsLedger } from './smm-credits.ledger';
import { CREDIT_STATUSES } from './smm-credits.repository';

export class ListSmmCreditsQuery extends PageQuery {
  @ApiPropertyOptional({ enum: CREDIT_STATUSES, description: '`failed`: credits that need a person.' })
  @IsOptional()
  @IsIn(CREDIT_STATUSES)
  status?: string;

  @ApiPropertyOptional({ example: 'mer_01jd0000000000000000000000' })
  @IsOptional()
  @IsString()
  @MaxLength(40)
  merchant_id?: string;
}

export class RetrySmmCreditDto {
  @ApiProperty({ example: 'panel API key fixed', maxLength: 500 })
  @IsString()
  @IsNotEmpty()
  @MaxLength(500)
  reason: string;

  @ApiPropertyOptional({
    description:
      'You checked the panel and the user was NOT credited for this order. Needed to retry a SocPanel credit whose previous call had no definite answer ' +
      '(SocPanel cannot be asked). PerfectPanel credits are looked up before any retry anyway.',
  })
  @IsOptional()
  @IsBoolean()
  confirmed_not_credited?: boolean;
}

export class ResolveSmmCreditDto {
  @ApiProperty({ example: 'credited by hand in the panel', maxLength: 500 })
  @IsString()
  @IsNotEmpty()
  @MaxLength(500)
  reason: string;
}

export class SmmCreditResponse {
  @ApiProperty({ example: 'smm_credit' }) object: string;
  @ApiProperty() order_id: string;
  @ApiProperty() merchant_id: string;
  @ApiProperty() username: string;
  @ApiProperty({ example: '10.00' }) amount: string;
  @ApiProperty({ example: 'USD' }) currency: string;
  @ApiProperty({ enum: CREDIT_STATUSES }) status: string;
  @ApiProperty() attempts: number;
  @ApiPropertyOptional({ nullable: true, enum: ['perfectpanel', 'socpanel'] }) panel_type: string | null;
  @ApiPropertyOptional({ nullable: true }) panel_payment_id: string | null;
  @ApiPropertyOptional({ nullable: true }) last_error: string | null;
  @ApiPropertyOptional({ nullable: true, format: 'date-time' }) next_attempt_at: string | null;
  @ApiPropertyOptional({ nullable: true, format: 'date-time' }) completed_at: string | null;
  @ApiProperty({ format: 'date-time' }) created_at: string;
  @ApiProperty({ format: 'date-time' }) updated_at: string;
}

@ApiTags('Admin')
@ApiBearerAuth('admin')
@ApiCookieAuth('session')
@UseGuards(AdminGuard)
@Controller('admin/smm-credits')
export class AdminSmmCreditsController {
  constructor(private readonly ledger: SmmCreditsLedger) {}

  @Get()
  @ApiOperation({
    summary: 'SMM panel credits (top-up fulfillment), newest first',
    description:
      'One per paid top-up order. `status=failed` lists the credits that gave up (their orders carry flag fulfillment_failed and an order.flagged event).',
  })
  @ApiOkResponse({ type: SmmCreditResponse, isArray: true })
  async listSmmCredits(@Query() q: ListSmmCreditsQuery) {
    const limit = q.limit ?? 20;
    const { rows } = await this.ledger.list({ status: q.status, merchantId: q.merchant_id, limit, startingAfter: q.starting_after });
    return { data: rows.slice(0, limit).map(presentCredit), has_more: rows.length > limit };
  }

  @Post(':orderId/retry')
  @HttpCode(200)
  @ApiOperation({ summary: 'Try a failed credit again', description: 'failed → pending, attempts reset. Audited. 409 problem unless the credit is failed.' })
  @ApiOkResponse({ type: SmmCreditResponse })
  async retrySmmCredit(@Param('orderId') orderId: string, @Body() body: RetrySmmCreditDto, @Req() req: { actor?: string }) {
    return this.ledger.retry(orderId, req.actor ?? 'admin', body.reason, body.confirmed_not_credited === true);
  }

  @Post(':orderId/resolve')
  @HttpCode(200)
  @ApiOperation({ summary: 'Mark a failed credit as done (credited by hand)', description: 'failed → done. Audited. 409 problem unless the credit is failed.' })
  @ApiOkResponse({ type: SmmCreditResponse })
  async resolveSmmCredit(@Param('orderId') orderId: string, @Body() body: ResolveSmmCreditDto, @Req() req: { actor?: string }) {
    return this.ledger.resolve(orderId, req.actor ?? 'admin', body.reason);
  }
}
