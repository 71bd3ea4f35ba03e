import { Body, Controller, Get, HttpCode, Param, Post, Query, Res, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiCookieAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiParam, ApiProduces, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { PageQuery } from '../common/pagination';
import type { Scope } from '../common/scope';
import { ApiKeyGuard, CurrentScope } from '../merchants/auth';
import { PaymentLinkListResponse, PaymentLinkResponse } from './payment-link.presenter';
import { CreatePaymentLinkDto } from './payment-links.dto';
import { PaymentLinksService } from './payment-links.service';

const ID_EXAMPLE = 'plink_01jd2b3c4d5e6f7g8h9j0kmnpq';
const PROBLEMS = 'Errors are RFC 9457 problems: 400 validation_failed, 401 unauthorized, 404 not_found (another merchant’s id too).';

@ApiTags('Payment links')
@ApiBearerAuth('api_key')
@ApiCookieAuth('session')
@UseGuards(ApiKeyGuard)
@Controller('v1/payment-links')
export class PaymentLinksController {
  constructor(private readonly links: PaymentLinksService) {}

  @Post()
  @ApiOperation({
    summary: 'Create a payment link',
    description:
      'A public page (`url`, PUBLIC_BASE_URL/l/{slug}) whose Pay button creates an order with `payment_link_id`. Give `amount` for a fixed amount, or omit it and bound the ' +
      'customer’s amount with `amount_min`/`amount_max`. `providers` defaults to every gateway the merchant has an account for that accepts the currency. ' +
      '`payments_count` and `amount_collected` count PAID orders; after `max_payments` of them (or `expires_at`, or deactivation) the page answers 410. ' +
      `${PROBLEMS} 422 payment_links.no_gateway when the merchant has no gateway for the currency.`,
  })
  @ApiCreatedResponse({ type: PaymentLinkResponse, description: 'The new link.' })
  @ApiResponse({
    status: 400,
    description: 'Problem: a field is invalid (amount with too many decimals, amount_min above amount_max, a gateway without an account, a past expires_at).',
  })
  @ApiResponse({ status: 422, description: 'Problem payment_links.no_gateway: no gateway account of the merchant accepts the currency.' })
  createPaymentLink(@CurrentScope() scope: Scope, @Body() body: CreatePaymentLinkDto) {
    return this.links.create(scope, body);
  }

  @Get()
  @ApiOperation({ summary: 'List payment links, newest first', description: `Paginate with \`limit\` and \`starting_after\`. ${PROBLEMS}` })
  @ApiOkResponse({ type: PaymentLinkListResponse })
  listPaymentLinks(@CurrentScope() scope: Scope, @Query() query: PageQuery) {
    return this.links.list(scope, query.limit ?? 20, query.starting_after);
  }

  @Get(':id')
  @ApiOperation({ summary: 'Retrieve a payment link', description: `With its live payments_count and amount_collected. ${PROBLEMS}` })
  @ApiParam({ name: 'id', example: ID_EXAMPLE })
  @ApiOkResponse({ type: PaymentLinkResponse })
  @ApiResponse({ status: 404, description: 'Problem: no such link for this merchant.' })
  getPaymentLink(@CurrentScope() scope: Scope, @Param('id') id: string) {
    return this.links.get(scope, id);
  }

  @Post(':id/deactivate')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Deactivate a payment link',
    description: `From now on its page answers 410 and creates no order; orders it already created are not touched (they can still be paid). Idempotent. ${PROBLEMS}`,
  })
  @ApiParam({ name: 'id', example: ID_EXAMPLE })
  @ApiOkResponse({ type: PaymentLinkResponse })
  @ApiResponse({ status: 404, description: 'Problem: no such link for this merchant.' })
  deactivatePaymentLink(@CurrentScope() scope: Scope, @Param('id') id: string) {
    return this.links.deactivate(scope, id);
  }

  @Get(':id/qr.png')
  @ApiOperation({
    summary: 'QR code of the link’s url (PNG, for printing)',
    description: `A 1024-pixel black-and-white PNG encoding the link's url. ${PROBLEMS}`,
  })
  @ApiParam({ name: 'id', example: ID_EXAMPLE })
  @ApiProduces('image/png')
  @ApiResponse({ status: 200, description: 'The PNG.' })
  @ApiResponse({ status: 404, description: 'Problem: no such link for this merchant.' })
  async getPaymentLinkQrPng(@CurrentScope() scope: Scope, @Param('id') id: string, @Res() reply: FastifyReply): Promise<void> {
    const png = await this.links.qrPng(scope, id);
    void reply.status(200).header('content-type', 'image/png').header('cache-control', 'private, no-store').send(png);
  }

  @Get(':id/qr.svg')
  @ApiOperation({ summary: 'QR code of the link’s url (SVG, for printing at any size)', description: `An SVG encoding the link's url. ${PROBLEMS}` })
  @ApiParam({ name: 'id', example: ID_EXAMPLE })
  @ApiProduces('image/svg+xml')
  @ApiResponse({ status: 200, description: 'The SVG.' })
  @ApiResponse({ status: 404, description: 'Problem: no such link for this merchant.' })
  async getPaymentLinkQrSvg(@CurrentScope() scope: Scope, @Param('id') id: string, @Res() reply: FastifyReply): Promise<void> {
    const svg = await this.links.qrSvg(scope, id);
    void reply
      .status(200)
      .header('content-type', 'image/svg+xml; charset=utf-8')
      .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'")
      .header('x-content-type-options', 'nosniff')
      .header('cache-control', 'private, no-store')
      .send(svg);
  }
}
