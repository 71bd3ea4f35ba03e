import { Body, Controller, Delete, Get, Param, Post, Query, UseGuards } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCookieAuth,
  ApiCreatedResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiProperty,
  ApiPropertyOptional,
  ApiResponse,
  ApiTags,
} from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsOptional, Max, Min } from 'class-validator';
import { ApiKeyManagement, KeyOwner } from './api-key-management.service';
import { ApiKeyList, ApiKeyView } from './api-keys.presenter';
import { Actor, ApiKeyGuard, AuthedMerchant, CurrentMerchant, MerchantRoles } from './auth';

/** A test key reaches test keys only; a live key or a signed-in member reaches both modes' keys. */
const keyOwner = (m: AuthedMerchant): KeyOwner => ({ merchantId: m.id, onlyMode: m.keyId !== null && !m.livemode ? false : null });

const MAX_KEY_LIFETIME_SECONDS = 366 * 86_400;
const MAX_OVERLAP_SECONDS = 7 * 86_400;

export class CreateApiKeyDto {
  @ApiPropertyOptional({
    description: 'Seconds until the key stops working (60 to 366 days); without it the key works until revoked.',
    minimum: 60,
    maximum: MAX_KEY_LIFETIME_SECONDS,
    example: 2592000,
  })
  @IsOptional()
  @IsInt()
  @Min(60)
  @Max(MAX_KEY_LIFETIME_SECONDS)
  expires_in?: number;

  @ApiPropertyOptional({
    description:
      'false: a test key (`sk_test_…`), true: a live key (`sk_live_…`). Default: the mode of the caller (a test key, or the dashboard’s test switch, makes test keys). A test key may create test keys only (403 `live_key_required`).',
    example: false,
  })
  @IsOptional()
  @IsBoolean()
  livemode?: boolean;
}

export class RevokeApiKeyQuery {
  @ApiPropertyOptional({
    description: `Overlap window for a rotation: the key keeps working for this many seconds (1 to ${MAX_OVERLAP_SECONDS}, 7 days), then stops. Without it the key stops now.`,
    minimum: 1,
    maximum: MAX_OVERLAP_SECONDS,
    example: 86400,
  })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(MAX_OVERLAP_SECONDS)
  expires_in?: number;

  @ApiPropertyOptional({ enum: ['true', 'false'], description: 'Revoke even the merchant’s last key without an expiry (its integrations stop working).' })
  @IsOptional()
  @IsIn(['true', 'false'])
  force?: 'true' | 'false';
}

export class CreatedApiKeyResponse extends ApiKeyView {
  @ApiProperty({ description: 'The key. Shown only in this response; stored as a hash.', example: 'sk_…' }) api_key: string;
}

@ApiTags('API keys')
@ApiBearerAuth('api_key')
@ApiCookieAuth('session')
@UseGuards(ApiKeyGuard)
@MerchantRoles('developer')
@Controller('v1/api-keys')
export class ApiKeysController {
  constructor(private readonly keys: ApiKeyManagement) {}

  @Post()
  @ApiOperation({
    summary: 'Create an API key',
    description:
      'Answers the key once (`api_key`); only its last four characters are shown afterwards. To rotate: create a key, deploy it, then revoke the old one with `expires_in`.',
  })
  @ApiCreatedResponse({ type: CreatedApiKeyResponse })
  @ApiResponse({
    status: 403,
    description: '`forbidden`: a viewer; `csrf_failed`: a session request without X-CSRF-Token; `live_key_required`: a test key asked for a live key.',
  })
  createApiKey(@CurrentMerchant() merchant: AuthedMerchant, @Body() body: CreateApiKeyDto, @Actor() actor: string) {
    return this.keys.create(keyOwner(merchant), { expiresInSeconds: body?.expires_in, livemode: body?.livemode ?? merchant.livemode }, actor);
  }

  @Get()
  @ApiOperation({
    summary: 'List the merchant’s API keys',
    description:
      'Newest first, revoked and expired ones included; last four characters only. Both modes’ keys (each says `livemode`), except for a test key, which sees test keys only.',
  })
  @ApiOkResponse({ type: ApiKeyList })
  listApiKeys(@CurrentMerchant() merchant: AuthedMerchant) {
    return this.keys.list(keyOwner(merchant));
  }

  @Delete(':id')
  @ApiOperation({
    summary: 'Revoke an API key',
    description:
      'Stops the key now, or after `expires_in` seconds (the overlap window of a rotation). Refused (409 `last_api_key`) for the merchant’s last key without an expiry unless `force=true`. Idempotent on a revoked key; audited.',
  })
  @ApiParam({ name: 'id', example: 'key_01jd0000000000000000000000' })
  @ApiOkResponse({ type: ApiKeyView })
  @ApiResponse({ status: 404, description: 'No such key for this merchant (another merchant’s key answers the same).' })
  @ApiResponse({ status: 409, description: '`last_api_key`: it is the last key without an expiry; pass force=true.' })
  revokeApiKey(@CurrentMerchant() merchant: AuthedMerchant, @Param('id') id: string, @Query() q: RevokeApiKeyQuery, @Actor() actor: string) {
    return this.keys.revoke(keyOwner(merchant), id, { expiresInSeconds: q.expires_in, force: q.force === 'true' }, actor);
  }
}
