import { Body, Controller, Delete, Get, HttpCode, Param, Put, Post, Query, UseGuards } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCookieAuth,
  ApiBody,
  ApiCreatedResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiProperty,
  ApiResponse,
  ApiTags,
} from '@nestjs/swagger';
import { IsNotEmpty, IsString, MaxLength } from 'class-validator';
import { PageQuery, toPage } from '../common/pagination';
import { PROVIDER_IDS } from '../providers/provider';
import type { Scope } from '../common/scope';
import { AdminGuard, ApiKeyGuard, CurrentScope, MerchantRoles } from './auth';
import { MerchantsService, presentMerchant } from './merchants.service';
import { ProviderAccountsService } from './provider-accounts.service';

export class MerchantResponse {
  @ApiProperty({ example: 'mer_01jd0000000000000000000000' }) id: string;
  @ApiProperty({ enum: ['merchant'] }) object: string;
  @ApiProperty() name: string;
  @ApiProperty({ example: 'active' }) status: string;
  @ApiProperty({ format: 'date-time' }) created_at: string;
}

export class MerchantListResponse {
  @ApiProperty({ type: [MerchantResponse] }) data: MerchantResponse[];
  @ApiProperty() has_more: boolean;
}

export class CreateMerchantDto {
  @ApiProperty({ example: 'Sokha Coffee', maxLength: 200 })
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  name: string;
}

export class CreatedMerchantView {
  @ApiProperty({ example: 'mer_01jd0000000000000000000000' }) id: string;
  @ApiProperty({ example: 'merchant' }) object: string;
  @ApiProperty({ example: 'Sokha Coffee' }) name: string;
  @ApiProperty({ enum: ['active', 'disabled'] }) status: string;
  @ApiProperty() created_at: string;
  @ApiProperty({ description: 'The live key: real gateways, real money. Shown only here.', example: 'sk_live_3b0V…' }) api_key: string;
  @ApiProperty({
    description: 'The test key: the same API on test-mode data only (`livemode: false`), paid through the built-in simulators. Shown only here.',
    example: 'sk_test_Qm9k…',
  })
  test_api_key: string;
}

@ApiTags('Admin')
@ApiBearerAuth('admin')
@ApiCookieAuth('session')
@UseGuards(AdminGuard)
@Controller('admin/merchants')
export class AdminMerchantsController {
  constructor(private readonly merchants: MerchantsService) {}

  @Post()
  @ApiOperation({
    summary: 'Create a merchant',
    description: 'Returns the merchant with its first live key (`sk_live_…`) and test key (`sk_test_…`, see docs/test-mode.md). The keys are shown only here.',
  })
  @ApiCreatedResponse({ type: CreatedMerchantView })
  async createMerchant(@Body() body: CreateMerchantDto): Promise<CreatedMerchantView> {
    const { merchant, apiKey, testApiKey } = await this.merchants.create(body.name);
    return { ...presentMerchant(merchant), api_key: apiKey, test_api_key: testApiKey };
  }

  @Get()
  @ApiOperation({ summary: 'List merchants, newest first' })
  @ApiOkResponse({ type: MerchantListResponse })
  async listMerchants(@Query() page: PageQuery) {
    const limit = page.limit ?? 20;
    return toPage(await this.merchants.list(limit, page.starting_after), limit, presentMerchant);
  }
}

export class ProviderAccountResponse {
  @ApiProperty({ enum: ['provider_account'] }) object: string;
  @ApiProperty({ enum: PROVIDER_IDS }) provider: string;
  @ApiProperty({ description: 'The fields as stored; secret fields masked.', type: 'object', additionalProperties: true }) credentials: Record<string, unknown>;
  @ApiProperty({ type: String, nullable: true }) needs_attention: string | null;
  @ApiProperty({ type: [String] }) warnings: string[];
  @ApiProperty({ format: 'date-time' }) updated_at: string;
}

export class DeletedProviderAccountResponse {
  @ApiProperty({ enum: ['provider_account'] }) object: string;
  @ApiProperty({ enum: PROVIDER_IDS }) provider: string;
  @ApiProperty({ enum: [true] }) deleted: boolean;
}

export class ProviderAccountListResponse {
  @ApiProperty({ type: [ProviderAccountResponse] }) data: ProviderAccountResponse[];
  @ApiProperty() has_more: boolean;
}

@ApiTags('Provider accounts')
@ApiBearerAuth('api_key')
@ApiCookieAuth('session')
@UseGuards(ApiKeyGuard)
@MerchantRoles('developer')
@Controller('v1/provider-accounts')
export class ProviderAccountsController {
  constructor(private readonly accounts: ProviderAccountsService) {}

  @Put(':provider')
  @HttpCode(200)
  @ApiOperation({
    summary: "Set the merchant's credentials for one gateway",
    description:
      'Fields per provider: raksmeypay {profile_id, profile_key, base_url?}; ahnajak {profile_id, secret_key, base_url?, payload_template?}; ' +
      'bakongapi {bakong_id, merchant_name, base_url?}; checkout {api_key, client_base_url, base_url}; ' +
      'bakong {account_id, merchant_name, merchant_city, token, base_url?, acquiring_bank?, merchant_id?}. ' +
      'Secrets are encrypted at rest (AES-256-GCM), write-only, and masked when read. Unknown fields are rejected. ' +
      'raksmeypay and bakongapi publish no production host: without base_url the account is stored with a warning and orders on it answer 422 provider_account_incomplete.',
  })
  @ApiParam({ name: 'provider', enum: PROVIDER_IDS })
  @ApiBody({
    schema: {
      type: 'object',
      additionalProperties: true,
      example: { profile_id: '1001', profile_key: 'your-profile-key', base_url: 'https://www.uat.raksmeypay.com' },
    },
  })
  @ApiOkResponse({ description: 'The stored account, secrets masked.', type: ProviderAccountResponse })
  putProviderAccount(@CurrentScope() scope: Scope, @Param('provider') provider: string, @Body() body: unknown) {
    return this.accounts.put(scope, provider, body);
  }

  @Get()
  @ApiOperation({ summary: "The merchant's gateway accounts, secrets masked" })
  @ApiOkResponse({ type: ProviderAccountListResponse })
  async listProviderAccounts(@CurrentScope() scope: Scope) {
    return { data: await this.accounts.list(scope), has_more: false };
  }

  @Delete(':provider')
  @ApiOperation({
    summary: "Delete the merchant's account for one gateway",
    description:
      'The sealed credentials are erased; new orders on this gateway answer 422 provider_account_missing. ' +
      '409 provider_account_in_use while the merchant has PENDING orders on the gateway (their checks still need the credentials); 404 when there is no account.',
  })
  @ApiParam({ name: 'provider', enum: PROVIDER_IDS })
  @ApiOkResponse({ type: DeletedProviderAccountResponse })
  @ApiResponse({ status: 404, description: 'No account for this gateway (problem not_found), or an unknown gateway (unknown_provider)' })
  @ApiResponse({ status: 409, description: 'PENDING orders still need the account (problem provider_account_in_use)' })
  deleteProviderAccount(@CurrentScope() scope: Scope, @Param('provider') provider: string) {
    return this.accounts.delete(scope, provider);
  }
}
