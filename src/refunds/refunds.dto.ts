import { ApiProperty, ApiPropertyOptional, ApiSchema } from '@nestjs/swagger';
import { IsBoolean, IsOptional, IsString, MaxLength, Validate } from 'class-validator';
import { PageQuery } from '../common/pagination';
import { DecimalAmount } from '../orders/orders.dto';
import { REFUND_METHODS, REFUND_STATUSES } from './refund.presenter';

export class CreateRefundDto {
  @ApiPropertyOptional({
    example: '5.00',
    description: 'Decimal string in the paid currency (a JSON number is accepted). Defaults to what is left to refund (the whole payment the first time).',
    oneOf: [{ type: 'string' }, { type: 'number' }],
  })
  @IsOptional()
  @Validate(DecimalAmount)
  amount?: string | number;

  @ApiPropertyOptional({ example: 'customer returned one item', maxLength: 500 })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  reason?: string;

  @ApiPropertyOptional({
    example: false,
    description:
      'true: the money was returned outside the gateway (cash, bank transfer); recorded as SUCCEEDED at once with method "manual", and audited. ' +
      'Required for gateways without a refund API; otherwise the refund goes through the gateway.',
  })
  @IsOptional()
  @IsBoolean()
  manual?: boolean;
}

export class ListRefundsQuery extends PageQuery {}

@ApiSchema({ description: 'A refund of (part of) a PAID order.' })
export class RefundResponse {
  @ApiProperty({ example: 're_01jd2b3c4d5e6f7g8h9j0kmnpq' }) id: string;
  @ApiProperty({ enum: ['refund'] }) object: string;
  @ApiProperty({ description: 'The mode of its order: false for a test-mode refund (made at the built-in simulator).', example: true })
  livemode: boolean;
  @ApiProperty({ example: 'ord_01jd2b3c4d5e6f7g8h9j0kmnpq' }) order_id: string;
  @ApiProperty({ example: '5.00', description: 'Decimal string.' }) amount: string;
  @ApiProperty({ enum: ['USD', 'KHR'] }) currency: string;
  @ApiProperty({
    enum: REFUND_STATUSES,
    description: 'PENDING: the gateway accepted it but has not said it is done (re-checked by reconciliation). FAILED refunds give their amount back.',
  })
  status: string;
  @ApiProperty({ enum: REFUND_METHODS }) method: string;
  @ApiPropertyOptional({ nullable: true }) reason: string | null;
  @ApiPropertyOptional({ nullable: true, description: 'Why the gateway refused it (FAILED only).' }) failure_reason: string | null;
  @ApiProperty({ format: 'date-time' }) created_at: string;
  @ApiProperty({ format: 'date-time' }) updated_at: string;
}

export class RefundList {
  @ApiProperty({ type: [RefundResponse] }) data: RefundResponse[];
  @ApiProperty() has_more: boolean;
}

export const REFUND_EXAMPLE = {
  id: 're_01jd2b3c4d5e6f7g8h9j0kmnpq',
  object: 'refund',
  livemode: true,
  order_id: 'ord_01jd2b3c4d5e6f7g8h9j0kmnpq',
  amount: '5.00',
  currency: 'USD',
  status: 'SUCCEEDED',
  method: 'manual',
  reason: 'customer returned one item',
  failure_reason: null,
  created_at: '2026-11-24T11:00:00.000Z',
  updated_at: '2026-11-24T11:00:00.000Z',
};
