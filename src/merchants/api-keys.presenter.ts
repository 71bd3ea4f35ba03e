import { ApiProperty } from '@nestjs/swagger';
import { ApiKeyRow } from './api-keys.repository';

/** An API key as the API shows it (to its merchant and to operators): never the key, only its last four characters. */
export class ApiKeyView {
  @ApiProperty({ example: 'key_01jd0000000000000000000000' }) id: string;
  @ApiProperty({ example: 'api_key' }) object: 'api_key';
  @ApiProperty({ description: 'The last four characters of the key; the key itself is never shown again.', example: 'x9Qa' }) last4: string;
  @ApiProperty({ enum: ['active', 'expiring', 'expired', 'revoked'] }) status: string;
  @ApiProperty({ description: 'false for a test key (`sk_test_…`): it sees and changes only test-mode data.' }) livemode: boolean;
  @ApiProperty() created_at: string;
  @ApiProperty({ nullable: true, type: String }) expires_at: string | null;
  @ApiProperty({ nullable: true, type: String }) revoked_at: string | null;
}

export class ApiKeyList {
  @ApiProperty({ type: ApiKeyView, isArray: true }) data: ApiKeyView[];
  @ApiProperty({ example: false }) has_more: boolean;
}

const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);

export function presentApiKey(row: ApiKeyRow, now = Date.now()): ApiKeyView {
  const expires = row.expires_at ? new Date(row.expires_at).getTime() : null;
  const status = row.revoked_at ? 'revoked' : expires !== null && expires <= now ? 'expired' : expires !== null ? 'expiring' : 'active';
  return {
    id: row.id,
    object: 'api_key',
    last4: row.last4,
    status,
    livemode: row.livemode,
    created_at: iso(row.created_at)!,
    expires_at: iso(row.expires_at),
    revoked_at: iso(row.revoked_at),
  };
}
