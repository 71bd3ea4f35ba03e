import { Body, Controller, Delete, Get, HttpCode, Post, UseGuards } from '@nestjs/common';
import { ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsIn, IsNumber, IsOptional, IsString, Max, MaxLength, Min, Validate, ValidatorConstraint, ValidatorConstraintInterface } from 'class-validator';
import { Currency, formatAmount, MoneyError, parseAmount } from '../common/money';
import { COMMON_ERRORS, notFound, problem } from '../common/problem';
import { SandboxBackOffice } from './back-office';
import { FaultMode, SandboxFaults } from './faults';
import { SANDBOX_PROVIDERS, SIMULATED_GATEWAYS } from './gateway-simulators';
import { SandboxPaymentsRepository } from './sandbox-payments.repository';
import { SandboxOnGuard } from './sandbox-on.guard';
import { SandboxReactions } from './simulators';

@ValidatorConstraint({ name: 'amountLike' })
class AmountLike implements ValidatorConstraintInterface {
  validate(v: unknown) {
    return typeof v === 'string' || typeof v === 'number';
  }
  defaultMessage() {
    return 'amount must be a decimal string';
  }
}

export class SandboxPayDto {
  @ApiProperty({ enum: SIMULATED_GATEWAYS })
  @IsIn(SIMULATED_GATEWAYS)
  provider: string;

  @ApiProperty({ description: 'The transaction.provider_reference of the order (numeric id, md5 or trx_id).' })
  @IsString()
  @MaxLength(200)
  provider_reference: string;

  @ApiPropertyOptional({ description: "What the customer pays; defaults to the transaction's amount. Another amount tests mismatch.", example: '12.50' })
  @IsOptional()
  @Validate(AmountLike)
  amount?: string | number;
}

export class SandboxFaultDto {
  @ApiProperty({ enum: SANDBOX_PROVIDERS })
  @IsIn(SANDBOX_PROVIDERS)
  provider: string;

  @ApiPropertyOptional({ minimum: 0, maximum: 60000 })
  @IsOptional()
  @IsNumber()
  @Min(0)
  @Max(60000)
  latency_ms?: number;

  @ApiPropertyOptional({ minimum: 0, maximum: 1, description: 'Fraction of calls that fail; default 1 when mode is set.' })
  @IsOptional()
  @IsNumber()
  @Min(0)
  @Max(1)
  error_rate?: number;

  @ApiPropertyOptional({ enum: ['http500', 'http429', 'timeout', 'garbage'] })
  @IsOptional()
  @IsIn(['http500', 'http429', 'timeout', 'garbage'])
  mode?: FaultMode;
}

@ApiTags('Sandbox')
@Controller('sandbox/control')
export class SandboxControlController {
  constructor(
    private readonly backOffice: SandboxBackOffice,
    private readonly ledger: SandboxPaymentsRepository,
    private readonly faults: SandboxFaults,
    private readonly reactions: SandboxReactions,
  ) {}

  @Post('pay')
  @HttpCode(200)
  @ApiOperation({
    summary: 'The customer pays (sandbox, or any test-mode payment)',
    description:
      'With SANDBOX off this pays test-mode transactions only (`livemode: false`); any other answers 404 and nothing changes. ' +
      'Records a payment at the simulated gateway for (provider, provider_reference), then the gateway does what the real one would: ' +
      'verify/check APIs answer PAID, Ahnajak sends its signed webhook, RaksmeyPay and the hosted checkout redirect the browser to the success URL.',
  })
  async sandboxPay(@Body() body: SandboxPayDto) {
    const txn = await this.backOffice.transaction(body.provider, body.provider_reference);
    if (!txn) throw notFound(`${body.provider} payment ${body.provider_reference.slice(0, 80)}`);
    let amount: string;
    try {
      amount =
        body.amount === undefined
          ? formatAmount(txn.amountMinor, txn.currency)
          : formatAmount(parseAmount(body.amount, txn.currency as Currency, { noMax: true }), txn.currency);
    } catch (err) {
      throw problem(COMMON_ERRORS.validation_failed, (err as MoneyError).message);
    }
    const payment = await this.ledger.pay(body.provider, body.provider_reference, amount, txn.currency);
    await this.reactions.paid(payment, txn);
    return {
      object: 'sandbox_payment',
      provider: payment.provider,
      provider_reference: payment.providerReference,
      amount: payment.amount,
      currency: payment.currency,
      gateway_transaction_id: payment.gatewayTxnId,
      paid_at: payment.paidAt.toISOString(),
    };
  }

  @Post('faults')
  @UseGuards(SandboxOnGuard)
  @HttpCode(200)
  @ApiOperation({ summary: "Break a simulated gateway's API (sandbox only)" })
  setSandboxFault(@Body() body: SandboxFaultDto) {
    this.faults.set(body.provider, { latency_ms: body.latency_ms ?? 0, error_rate: body.error_rate ?? (body.mode ? 1 : 0), mode: body.mode ?? null });
    return { faults: this.faults.list() };
  }

  @Get('faults')
  @UseGuards(SandboxOnGuard)
  @ApiOperation({ summary: 'Faults in force (sandbox only)' })
  listSandboxFaults() {
    return { faults: this.faults.list(), injected: this.faults.injected };
  }

  @Get('stats')
  @UseGuards(SandboxOnGuard)
  @ApiOperation({ summary: 'Requests each simulated gateway API received since the last reset (sandbox only)' })
  getSandboxStats() {
    return { calls: this.faults.stats() };
  }

  @Delete('stats')
  @UseGuards(SandboxOnGuard)
  @HttpCode(200)
  @ApiOperation({ summary: 'Reset the request counters (sandbox only)' })
  resetSandboxStats() {
    this.faults.resetStats();
    return { calls: {} };
  }

  @Delete('faults')
  @UseGuards(SandboxOnGuard)
  @HttpCode(200)
  @ApiOperation({ summary: 'Clear every fault (sandbox only)' })
  clearSandboxFaults() {
    this.faults.clear();
    return { faults: {} };
  }
}
