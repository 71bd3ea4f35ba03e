import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsIn,
  IsInt,
  IsISO8601,
  IsNotEmpty,
  IsObject,
  IsOptional,
  IsString,
  IsUrl,
  Max,
  MaxLength,
  Min,
  Validate,
  ValidationArguments,
  ValidatorConstraint,
  ValidatorConstraintInterface,
} from 'class-validator';
import { CURRENCIES } from '../common/money';
import { PROVIDER_IDS } from '../providers/provider';

/** A decimal string (or a finite JSON number); parsed strictly into minor units by the service (src/common/money.ts). */
@ValidatorConstraint({ name: 'linkAmount' })
class LinkAmount implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    return (typeof value === 'string' && value.length <= 40) || (typeof value === 'number' && Number.isFinite(value));
  }
  defaultMessage(args: ValidationArguments): string {
    return `${args.property} must be a decimal string such as "12.50"`;
  }
}

@ValidatorConstraint({ name: 'linkMetadata' })
class LinkMetadata implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    if (!value || typeof value !== 'object' || Array.isArray(value)) return false;
    return Object.keys(value).length <= 50 && JSON.stringify(value).length <= 8192;
  }
  defaultMessage(): string {
    return 'metadata must be an object of at most 50 keys and 8 KiB';
  }
}

const AMOUNT_SCHEMA = { oneOf: [{ type: 'string' }, { type: 'number' }] };

export class CreatePaymentLinkDto {
  @ApiProperty({ maxLength: 1000, example: 'Iced latte (large)', description: 'Shown on the page, and the description of every order the link creates.' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(1000)
  description: string;

  @ApiPropertyOptional({ enum: CURRENCIES, default: 'USD' })
  @IsOptional()
  @IsIn(CURRENCIES, { message: `currency must be one of ${CURRENCIES.join(', ')}` })
  currency?: 'USD' | 'KHR';

  @ApiPropertyOptional({
    ...AMOUNT_SCHEMA,
    example: '2.50',
    description: 'A fixed amount (decimal string). Omit it to let the customer type one, within amount_min and amount_max.',
  })
  @IsOptional()
  @Validate(LinkAmount)
  amount?: string | number;

  @ApiPropertyOptional({
    ...AMOUNT_SCHEMA,
    example: '1.00',
    description: 'Open amount only: the lowest the customer may type (default: the smallest unit, 0.01 USD / 1 KHR).',
  })
  @IsOptional()
  @Validate(LinkAmount)
  amount_min?: string | number;

  @ApiPropertyOptional({
    ...AMOUNT_SCHEMA,
    example: '500.00',
    description: 'Open amount only: the highest the customer may type (default: the per-order maximum).',
  })
  @IsOptional()
  @Validate(LinkAmount)
  amount_max?: string | number;

  @ApiPropertyOptional({
    type: [String],
    enum: PROVIDER_IDS,
    example: ['bakong', 'raksmeypay'],
    description:
      "The gateways the customer may choose from; each needs the merchant's account. Default: every gateway the merchant has an account for that accepts the currency.",
  })
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(PROVIDER_IDS.length)
  @IsIn(PROVIDER_IDS, { each: true, message: `providers must each be one of ${PROVIDER_IDS.join(', ')}` })
  providers?: string[];

  @ApiPropertyOptional({
    minimum: 1,
    maximum: 1000000,
    example: 100,
    description: 'PAID orders after which the link is used up (answers 410). Default: unlimited.',
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  max_payments?: number;

  @ApiPropertyOptional({ format: 'date-time', example: '2026-12-31T17:00:00Z', description: 'When the link stops taking payments (must be in the future).' })
  @IsOptional()
  @IsISO8601({ strict: true }, { message: 'expires_at must be an ISO 8601 date-time' })
  expires_at?: string;

  @ApiPropertyOptional({ example: 'https://shop.example.com/thanks', description: 'Where the customer lands after paying (the success_url of every order).' })
  @IsOptional()
  @IsUrl(
    { protocols: ['http', 'https'], require_protocol: true, require_tld: false, require_host: true },
    { message: 'success_url must be an absolute http(s) URL' },
  )
  @MaxLength(2000)
  success_url?: string;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    example: { campaign: 'telegram-dec' },
    description: "Copied into every order's metadata.",
  })
  @IsOptional()
  @IsObject()
  @Validate(LinkMetadata)
  metadata?: Record<string, unknown>;
}
