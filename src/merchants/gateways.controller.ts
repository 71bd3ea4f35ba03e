import { Controller, Get, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { CURRENCIES } from '../common/money';
import { PROVIDER_IDS, ProviderRegistry } from '../providers/provider';
import { ApiKeyGuard } from './auth';

export class CredentialFieldView {
  @ApiProperty({ example: 'profile_key' }) name: string;
  @ApiProperty({ description: 'Write-only: masked when read, never returned', example: true }) secret: boolean;
  @ApiProperty({ example: true }) required: boolean;
  @ApiProperty({ enum: ['string', 'url', 'object'] }) kind: string;
  @ApiProperty({ example: 'Your RaksmeyPay Profile Key (signs links and returns)' }) description: string;
  @ApiPropertyOptional({ example: '1001' }) example?: string;
}

export class GatewayView {
  @ApiProperty({ enum: ['gateway'] }) object: string;
  @ApiProperty({ enum: PROVIDER_IDS }) id: string;
  @ApiProperty({ enum: CURRENCIES, isArray: true }) currencies: string[];
  @ApiProperty({ description: 'Can ask the gateway for a payment’s status (verify, reconciliation)' }) verify: boolean;
  @ApiProperty({ description: 'Yields a KHQR shown on our /pay page' }) khqr: boolean;
  @ApiProperty({ description: 'Refunds through the gateway’s API (otherwise manual only)' }) refund: boolean;
  @ApiProperty({ type: [CredentialFieldView], description: 'The fields of PUT /v1/provider-accounts/{id}, in order' })
  credential_fields: CredentialFieldView[];
}

export class GatewayListView {
  @ApiProperty({ type: [GatewayView] }) data: GatewayView[];
  @ApiProperty() has_more: boolean;
}

@ApiTags('Provider accounts')
@ApiBearerAuth('api_key')
@UseGuards(ApiKeyGuard)
@Controller('v1/gateways')
export class GatewaysController {
  constructor(private readonly registry: ProviderRegistry) {}

  @Get()
  @ApiOperation({
    summary: 'The gateways this server supports and their credential fields',
    description:
      'What a form for PUT /v1/provider-accounts/{provider} needs: each field’s name, whether it is secret and required, its kind, a description and an example.',
  })
  @ApiOkResponse({ type: GatewayListView })
  listGateways() {
    return {
      data: this.registry.all().map((p) => ({
        object: 'gateway',
        id: p.id,
        currencies: [...p.capabilities.currencies],
        verify: p.capabilities.verify,
        khqr: p.capabilities.khqr,
        refund: p.capabilities.refund,
        credential_fields: p.credentialFields.map((f) => ({
          name: f.name,
          secret: f.secret,
          required: f.required,
          kind: f.kind,
          description: f.description,
          ...(f.example === undefined ? {} : { example: f.example }),
        })),
      })),
      has_more: false,
    };
  }
}
