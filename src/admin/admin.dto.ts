import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsIn, IsInt, IsNotEmpty, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { ID_PATTERN } from '../common/ids';
import { PageQuery } from '../common/pagination';
import { ApiKeyView } from '../merchants/api-keys.presenter';
import { ListOrdersQuery } from '../orders/orders.dto';

export { ApiKeyList, ApiKeyView } from '../merchants/api-keys.presenter';

/** Default and ceiling of the window in which a rotated-out API key keeps working. */
export const DEFAULT_OVERLAP_SECONDS = 86_400;
export const MAX_OVERLAP_SECONDS = 7 * 86_400;

export class ReasonDto {
  @ApiPropertyOptional({ description: 'Why (kept in the audit log).', example: 'chargeback fraud under investigation', maxLength: 500 })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  reason?: string;
}

export class RotateKeyDto {
  @ApiPropertyOptional({
    description: `Seconds the merchant's current keys keep working after the rotation, so deployments can switch over (0 revokes them now). Default ${DEFAULT_OVERLAP_SECONDS} (24 h), at most ${MAX_OVERLAP_SECONDS} (7 days).`,
    minimum: 0,
    maximum: MAX_OVERLAP_SECONDS,
    default: DEFAULT_OVERLAP_SECONDS,
  })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(MAX_OVERLAP_SECONDS)
  overlap_seconds?: number;

  @ApiPropertyOptional({ description: 'Why (kept in the audit log).', maxLength: 500 })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  reason?: string;

  @ApiPropertyOptional({
    description:
      'Which keys to rotate: true (default) issues an `sk_live_…` key and retires the live keys in use; false does the same for test keys (`sk_test_…`).',
    default: true,
  })
  @IsOptional()
  @IsBoolean()
  livemode?: boolean;
}

export class ResolveTransactionDto {
  @ApiProperty({ enum: ['PAID', 'FAILED'], description: 'The outcome established outside the orchestrator (bank statement, gateway back office).' })
  @IsIn(['PAID', 'FAILED'])
  status: 'PAID' | 'FAILED';

  @ApiProperty({
    description: 'Why, and on what evidence. Required; kept in the audit log and on the order.',
    example: 'Bakong statement 2026-01-12 shows the credit (ref 88231)',
    maxLength: 500,
  })
  @IsString()
  @IsNotEmpty()
  @Matches(/\S/, { message: 'reason must not be blank' })
  @MaxLength(500)
  reason: string;
}

export class AdminListOrdersQuery extends ListOrdersQuery {
  @ApiPropertyOptional({ description: 'Only this merchant’s orders.', example: 'mer_01jd0000000000000000000000' })
  @IsOptional()
  @IsString()
  @Matches(ID_PATTERN, { message: 'merchant_id must be an id returned by this API' })
  merchant_id?: string;
}

export class AuditLogQuery extends PageQuery {
  @ApiPropertyOptional({ description: 'Entries about this object (a transaction, merchant or API key id).' })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  subject_id?: string;

  @ApiPropertyOptional({
    example: 'transaction.resolve',
    description: 'transaction.resolve, merchant.disable, merchant.enable, api_key.rotate, api_key.revoke',
  })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  action?: string;

  @ApiPropertyOptional({
    example: 'admin_token:3f9a1c2b7d4e',
    description: 'Who acted: admin_token:<first 12 hex of sha256(ADMIN_TOKEN)>, merchant:<id>, provider:<name> or sweeper',
  })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  actor?: string;
}

export class RotatedKeyView extends ApiKeyView {
  @ApiProperty({ description: 'The new key. Shown only in this response.', example: 'sk_live_…' }) api_key: string;
  @ApiProperty({ nullable: true, type: String, description: 'When the keys in use before this rotation stop working.' }) previous_keys_expire_at: string | null;
}

export class AuditEntryView {
  @ApiProperty({ example: 'aud_01jd0000000000000000000000' }) id: string;
  @ApiProperty({ example: 'audit_entry' }) object: 'audit_entry';
  @ApiProperty({ example: 'admin_token:3f9a1c2b7d4e' }) actor: string;
  @ApiProperty({ example: 'transaction.resolve' }) action: string;
  @ApiProperty({ example: 'txn_01jd0000000000000000000000' }) subject_id: string;
  @ApiProperty({ nullable: true, type: String }) reason: string | null;
  @ApiProperty({ nullable: true, type: Object }) details: Record<string, unknown> | null;
  @ApiProperty() created_at: string;
}

export class AuditEntryList {
  @ApiProperty({ type: AuditEntryView, isArray: true }) data: AuditEntryView[];
  @ApiProperty() has_more: boolean;
}
