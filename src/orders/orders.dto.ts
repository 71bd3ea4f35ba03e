import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  IsIn,
  IsInt,
  IsNotEmpty,
  IsObject,
  IsOptional,
  IsString,
  IsUrl,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateNested,
  ValidationArguments,
  ValidatorConstraint,
  ValidatorConstraintInterface,
  Validate,
} from 'class-validator';
import { IsEmailAddress } from '../common/email';
import { PageQuery } from '../common/pagination';
import { CURRENCIES } from '../common/money';
import { PROVIDER_IDS } from '../providers/provider';
import { ORDER_STATUSES } from './state-machine';

@ValidatorConstraint({ name: 'decimalAmount' })
export class DecimalAmount implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    return (typeof value === 'string' && value.length <= 40) || (typeof value === 'number' && Number.isFinite(value));
  }
  defaultMessage(args: ValidationArguments): string {
    return `${args.property} must be a decimal string such as "12.50"`;
  }
}

@ValidatorConstraint({ name: 'smallJsonObject' })
class SmallJsonObject implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    if (!value || typeof value !== 'object' || Array.isArray(value)) return false;
    return Object.keys(value).length <= 50 && JSON.stringify(value).length <= 8192;
  }
  defaultMessage(): string {
    return 'metadata must be an object of at most 50 keys and 8 KiB';
  }
}

const URL_OPTIONS = { protocols: ['http', 'https'], require_protocol: true, require_tld: false, require_host: true };

export class CustomerDto {
  @ApiPropertyOptional({ example: 'Sok Dara', maxLength: 200 })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  name?: string;

  @ApiPropertyOptional({ example: 'dara@example.com' })
  @IsOptional()
  @IsEmailAddress({ message: 'customer.email must be an email address' })
  @MaxLength(254)
  email?: string;
}

export class CreateOrderDto {
  @ApiProperty({ enum: PROVIDER_IDS, example: 'raksmeypay', description: 'Which gateway takes this payment.' })
  @IsIn(PROVIDER_IDS, { message: `provider must be one of ${PROVIDER_IDS.join(', ')}` })
  provider: string;

  @ApiProperty({
    oneOf: [{ type: 'string' }, { type: 'number' }],
    example: '12.50',
    description:
      'A decimal string (a JSON number is accepted). USD: at most 2 decimals; KHR: none. Must be > 0 and ≤ the maximum (USD 100000.00, KHR 400000000).',
  })
  @Validate(DecimalAmount)
  amount: string | number;

  @ApiPropertyOptional({ enum: CURRENCIES, default: 'USD' })
  @IsOptional()
  @IsIn(CURRENCIES, { message: `currency must be one of ${CURRENCIES.join(', ')}` })
  currency?: 'USD' | 'KHR';

  @ApiProperty({ example: 'INV-2026-0001', description: "The merchant's own order id, unique per merchant (1–100 printable characters)." })
  @IsString()
  @IsNotEmpty()
  @MaxLength(100)
  @Matches(/^[\x21-\x7e]+$/, { message: 'reference must be printable ASCII without spaces' })
  reference: string;

  @ApiPropertyOptional({ maxLength: 1000, example: 'Two iced lattes' })
  @IsOptional()
  @IsString()
  @MaxLength(1000)
  description?: string;

  @ApiPropertyOptional({ example: 'https://shop.example.com/thanks', description: 'Where the customer lands after paying.' })
  @IsOptional()
  @IsUrl(URL_OPTIONS, { message: 'success_url must be an absolute http(s) URL' })
  @MaxLength(2000)
  success_url?: string;

  @ApiPropertyOptional({ example: 'https://shop.example.com/cart' })
  @IsOptional()
  @IsUrl(URL_OPTIONS, { message: 'cancel_url must be an absolute http(s) URL' })
  @MaxLength(2000)
  cancel_url?: string;

  @ApiPropertyOptional({ type: CustomerDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => CustomerDto)
  customer?: CustomerDto;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true, example: { cart_id: 'c_42' } })
  @IsOptional()
  @IsObject()
  @Validate(SmallJsonObject)
  metadata?: Record<string, unknown>;

  @ApiPropertyOptional({
    minimum: 60,
    maximum: 86400,
    default: 1800,
    description: 'Seconds until the order expires. Gateways may impose less (bakongapi QR codes live 15 minutes).',
  })
  @IsOptional()
  @IsInt()
  @Min(60)
  @Max(86400)
  expires_in?: number;
}

export class ListOrdersQuery extends PageQuery {
  @ApiPropertyOptional({ enum: ORDER_STATUSES })
  @IsOptional()
  @IsIn(ORDER_STATUSES)
  status?: string;

  @ApiPropertyOptional({ enum: PROVIDER_IDS })
  @IsOptional()
  @IsIn(PROVIDER_IDS)
  provider?: string;

  @ApiPropertyOptional({ example: 'INV-2026-0001' })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  reference?: string;

  @ApiPropertyOptional({ example: 'plink_01jd0000000000000000000000', description: 'Only the orders created through this payment link.' })
  @IsOptional()
  @IsString()
  @Matches(/^plink_[0-9a-z]{26}$/, { message: 'payment_link_id must be a payment link id (plink_…)' })
  payment_link_id?: string;
}
