import { Body, Controller, Get, HttpCode, Put, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiCookieAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiKeyGuard, AuthedMerchant, CurrentMerchant } from '../merchants/auth';
import { PutSmmPanelDto, SmmPanelResponse } from './smm-panel.dto';
import { SmmPanelsService } from './smm-panels.service';

@ApiTags('SMM top-up')
@ApiBearerAuth('api_key')
@ApiCookieAuth('session')
@UseGuards(ApiKeyGuard)
@Controller('v1/smm-panel')
export class SmmPanelController {
  constructor(private readonly panels: SmmPanelsService) {}

  @Put()
  @HttpCode(200)
  @ApiOperation({
    summary: "Set the merchant's SMM panel for the top-up widget",
    description:
      'When a top-up order (made by GET/POST /topup/{merchantId}) is PAID, the orchestrator credits the panel user exactly once: ' +
      'PerfectPanel `POST {api_url}/adminapi/v2/payments/add` (header X-Api-Key; body username, amount, method, memo with the order id), ' +
      'or SocPanel `GET {api_url}/privateApi/incrementUserBalance?login&amount&token`. The API key is encrypted at rest and masked on read.',
  })
  @ApiOkResponse({ type: SmmPanelResponse })
  putSmmPanel(@CurrentMerchant() merchant: AuthedMerchant, @Body() body: PutSmmPanelDto) {
    return this.panels.put(merchant.id, body);
  }

  @Get()
  @ApiOperation({ summary: "The merchant's SMM panel (API key masked)", description: '404 problem when none is set.' })
  @ApiOkResponse({ type: SmmPanelResponse })
  getSmmPanel(@CurrentMerchant() merchant: AuthedMerchant) {
    return this.panels.require(merchant.id);
  }
}
