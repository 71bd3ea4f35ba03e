import { Controller, Get, Headers, Param, Query, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiParam, ApiProduces, ApiProperty, ApiPropertyOptional, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Clock } from '../common/clock';
import { notFound } from '../common/problem';
import { AppConfig } from '../config/config';
import { qrImageUrl } from '../orders/order.presenter';
import { ProviderRegistry } from '../providers/provider';
import { applyPageHeaders, newNonce, parseOrigin } from './html';
import { pickLang } from './i18n';
import { renderNotFoundPage, renderPayPage } from './pay-page';
import { PayPageService } from './pay-page.service';
import { isTopupOrder } from './topup.rules';

export class PayStatusResponse {
  @ApiProperty({ example: 'pay_status' }) object: string;
  @ApiProperty({ example: 'ord_01jd0000000000000000000000' }) order_id: string;
  @ApiProperty({ enum: ['PENDING', 'PAID', 'EXPIRED', 'CANCELLED', 'FAILED'] }) status: string;
  @ApiProperty() paid: boolean;
  @ApiProperty({ format: 'date-time' }) expires_at: string;
  @ApiPropertyOptional({ nullable: true, description: "The order's success_url once it is PAID; null otherwise." }) redirect_url: string | null;
  @ApiPropertyOptional({
    nullable: true,
    description: "The order's cancel_url once it can no longer be paid (CANCELLED, FAILED, EXPIRED, or PENDING past expires_at); null otherwise.",
  })
  cancel_url: string | null;
}

type PageQuery = Record<string, string | undefined>;

@ApiTags('Checkout pages')
@Controller('pay')
export class PayController {
  constructor(
    private readonly pages: PayPageService,
    private readonly registry: ProviderRegistry,
    private readonly config: AppConfig,
    private readonly clock: Clock,
  ) {}

  @Get(':orderId')
  @ApiOperation({
    summary: 'Hosted checkout page (HTML)',
    description:
      'The page `checkout_url` points at for KHQR providers (bakongapi, bakong): merchant, amount, the QR image, a live countdown, Save QR / copy KHQR code, ' +
      'a bank-app deeplink when the gateway gave one, and a live status that turns to paid and redirects to success_url (or expired). ' +
      'For providers with their own hosted page it shows the status and links to their checkout_url. English and Khmer (`lang` or Accept-Language). ' +
      '`embed=1&origin=<your page origin>` is how /js/khqr-checkout.js opens it in an iframe: the page then reports by postMessage to that origin only, and only that origin may frame it. ' +
      'Public: the unguessable order id is the capability; the page shows no secret. Cache-Control: no-store.',
  })
  @ApiParam({ name: 'orderId', example: 'ord_01jd0000000000000000000000' })
  @ApiQuery({ name: 'lang', required: false, enum: ['en', 'km'] })
  @ApiQuery({ name: 'embed', required: false, enum: ['1'] })
  @ApiQuery({ name: 'origin', required: false, description: "The embedding page's origin (with embed=1), e.g. https://shop.example.com" })
  @ApiProduces('text/html')
  @ApiOkResponse({ description: 'The checkout page.' })
  async getPayPage(
    @Param('orderId') orderId: string,
    @Query() query: PageQuery,
    @Headers('accept-language') acceptLanguage: string | undefined,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const lang = pickLang(query.lang, acceptLanguage);
    const nonce = newNonce();
    const found = await this.pages.find(orderId);
    if (!found) {
      applyPageHeaders(reply, { nonce, frameAncestors: "'none'" }, 404);
      void reply.send(renderNotFoundPage(lang, nonce));
      return;
    }
    const { order, merchantName } = found;
    const embed = query.embed === '1';
    const parentOrigin = embed ? parseOrigin(query.origin) : null;
    const topup = isTopupOrder(order.metadata);
    // Framing: the origin the modal script declared; any panel for the top-up flow (it lives in the panel's iframe); nobody else.
    const frameAncestors = parentOrigin ?? (topup ? '*' : "'none'");
    const provider = this.registry.get(order.provider);
    const ownPage = `${this.config.publicBaseUrl}/pay/${order.id}`;
    const keep: Record<string, string> = {};
    for (const k of ['embed', 'origin'] as const) if (typeof query[k] === 'string') keep[k] = query[k]!;
    const now = this.clock.now();
    // The HTML carries only what the status endpoint would answer right now: no success_url before payment.
    const reveal = this.pages.statusView(order, now);
    applyPageHeaders(reply, { nonce, frameAncestors });
    void reply.send(
      renderPayPage({
        orderId: order.id,
        merchantName,
        amountMinor: order.amountMinor,
        currency: order.currency,
        status: order.status,
        expiresAt: order.expiresAt,
        now,
        description: order.description,
        qr: order.qrPayload && order.qrImageToken ? { payload: order.qrPayload, imageUrl: qrImageUrl(this.config.publicBaseUrl, order.qrImageToken) } : null,
        deeplink:
          order.deeplink && /^[a-z][a-z0-9+.-]*:/i.test(order.deeplink) && !/^(javascript|data|vbscript):/i.test(order.deeplink) ? order.deeplink : null,
        hostedCheckoutUrl: order.checkoutUrl && order.checkoutUrl !== ownPage ? order.checkoutUrl : null,
        providerName: provider?.displayName ?? order.provider,
        redirectUrl: reveal.redirect_url,
        cancelUrl: reveal.cancel_url,
        hasCancelUrl: !!order.cancelUrl,
        embed,
        parentOrigin,
        topup,
        lang,
        query: keep,
        statusUrl: `/pay/${order.id}/status`,
        nonce,
      }),
    );
  }

  @Get(':orderId/status')
  @ApiOperation({
    summary: "The pay page's live status (JSON)",
    description:
      'Polled by the pay page. While the order is PENDING this may ask the gateway — at most once per order every 3 seconds across all instances — so a Bakong payment shows within about 5 seconds. ' +
      'Answers only what the page shows: status, paid, expires_at, redirect_url (the success_url once PAID) and cancel_url (once the order can no longer be paid). ' +
      "The page's HTML carries neither URL before that moment. Public; the order id is the capability. Cache-Control: no-store.",
  })
  @ApiParam({ name: 'orderId', example: 'ord_01jd0000000000000000000000' })
  @ApiOkResponse({ type: PayStatusResponse })
  async getPayStatus(@Param('orderId') orderId: string, @Res({ passthrough: true }) reply: FastifyReply) {
    void reply.header('cache-control', 'no-store');
    const found = await this.pages.find(orderId);
    if (!found) throw notFound('order');
    const now = this.clock.now();
    const order = await this.pages.checkNow(found.order, now);
    return this.pages.statusView(order, now);
  }
}
