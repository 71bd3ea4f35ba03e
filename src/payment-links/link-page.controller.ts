import { Body, Controller, Get, Headers, Param, Post, Query, Res } from '@nestjs/common';
import { ApiBody, ApiOkResponse, ApiOperation, ApiParam, ApiProduces, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { applyPageHeaders, newNonce } from '../checkout-pages/html';
import { Lang, pickLang } from '../checkout-pages/i18n';
import { LinkCheckoutService, PayOutcome, PublicLink } from './link-checkout.service';
import { LinkPageModel, renderLinkPage } from './payment-link-page';

type Fields = Record<string, string | undefined>;

/** A posted form's fields as strings (the last of a repeated field); anything else a JSON body may carry is ignored. */
function formFields(raw: unknown): Fields {
  const out: Fields = {};
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return out;
  for (const key of ['amount', 'provider', 'lang']) {
    const value: unknown = (raw as Record<string, unknown>)[key];
    const last: unknown = Array.isArray(value) ? value[value.length - 1] : value;
    if (typeof last === 'string') out[key] = last;
    else if (typeof last === 'number' && Number.isFinite(last)) out[key] = String(last);
  }
  return out;
}

const GONE_TEXT = { inactive: 'goneInactive', expired: 'goneExpired', used_up: 'goneUsedUp' } as const;

@ApiTags('Payment links')
@Controller('l')
export class LinkPageController {
  constructor(private readonly checkout: LinkCheckoutService) {}

  @Get(':slug')
  @ApiOperation({
    summary: 'Payment link page (HTML)',
    description:
      "The public page behind a payment link's `url`: the merchant's name, the description, the fixed amount or an amount field with its bounds, " +
      'a choice of gateway when the link has several (display names), and Pay. English and Khmer (`lang` or Accept-Language). ' +
      'A deactivated, expired or used-up link answers 410 with a page saying so; an unknown slug answers 404. Shows nothing else of the merchant. Cache-Control: no-store.',
  })
  @ApiParam({ name: 'slug', example: 'Hq3v9TzK1bXw0aRc', description: 'The last path segment of the link’s url (16 URL-safe random characters).' })
  @ApiQuery({ name: 'lang', required: false, enum: ['en', 'km'] })
  @ApiProduces('text/html')
  @ApiOkResponse({ description: 'The page with its Pay form.' })
  @ApiResponse({ status: 404, description: 'No link has this slug (HTML page).' })
  @ApiResponse({ status: 410, description: 'The link is deactivated, expired or used up (HTML page); nothing can be paid.' })
  async showPaymentLinkPage(
    @Param('slug') slug: string,
    @Query('lang') langParam: string | undefined,
    @Headers('accept-language') acceptLanguage: string | undefined,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const lang = pickLang(langParam, acceptLanguage);
    const found = await this.checkout.find(slug);
    if (!found) return this.notFound(reply, lang);
    if (found.state !== 'open') return this.render(reply, 410, lang, slug, found, { notice: { title: 'goneTitle', text: GONE_TEXT[found.state] } });
    await this.render(reply, 200, lang, slug, found, {});
  }

  @Post(':slug')
  @ApiOperation({
    summary: 'Pay through a payment link (HTML form post)',
    description:
      'Form fields `amount` (open-amount links: a decimal string within the bounds; ignored for a fixed amount), `provider` (one of the link’s gateways; ' +
      'optional when it has one), `lang`. Creates an order through the orders service (`payment_link_id` set, `cancel_url` this page, expiring in 15 minutes) and answers 303 to its `checkout_url`. ' +
      'Invalid input: 400 with the page and a message, nothing created. A deactivated, expired or used-up link: 410. When every remaining payment under `max_payments` ' +
      'is held by an open order: 409 with the page. Over the merchant’s cap (PAYMENT_LINK_ORDERS_PER_MERCHANT_PER_MIN): 429 with Retry-After. A failing gateway: 502. ' +
      'No CSRF token: the form only ever starts a payment the customer then completes, for an amount and gateway the link allows.',
  })
  @ApiParam({ name: 'slug', example: 'Hq3v9TzK1bXw0aRc' })
  @ApiBody({
    required: false,
    schema: {
      type: 'object',
      properties: {
        amount: { type: 'string', example: '12.50' },
        provider: { type: 'string', example: 'bakong' },
        lang: { type: 'string', enum: ['en', 'km'] },
      },
    },
  })
  @ApiResponse({ status: 303, description: "To the order's checkout_url (our /pay page or the gateway's)." })
  @ApiResponse({ status: 400, description: 'The page again with a message; nothing created.' })
  @ApiResponse({ status: 404, description: 'No link has this slug.' })
  @ApiResponse({ status: 409, description: 'Every remaining payment of the link is being paid right now; nothing created.' })
  @ApiResponse({ status: 410, description: 'Deactivated, expired or used up; nothing created.' })
  @ApiResponse({ status: 429, description: "The merchant's cap on new link orders is reached; Retry-After says when the window ends. Nothing created." })
  @ApiResponse({ status: 502, description: 'The gateway failed; nothing created.' })
  async payThroughPaymentLink(
    @Param('slug') slug: string,
    @Body() rawBody: unknown,
    @Headers('accept-language') acceptLanguage: string | undefined,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const form = formFields(rawBody);
    const lang = pickLang(form.lang, acceptLanguage);
    const found = await this.checkout.find(slug);
    if (!found) return this.notFound(reply, lang);
    const outcome: PayOutcome = await this.checkout.pay(found, form);
    const keep = { amountText: (form.amount ?? '').slice(0, 20), selected: form.provider ?? null };
    switch (outcome.kind) {
      case 'redirect':
        void reply.status(303).header('location', outcome.url).header('cache-control', 'no-store').send();
        return;
      case 'invalid':
        return this.render(reply, 400, lang, slug, found, { ...keep, amountError: outcome.amountError, gatewayError: outcome.gatewayError });
      case 'gone':
        return this.render(reply, 410, lang, slug, found, { notice: { title: 'goneTitle', text: GONE_TEXT[outcome.state] } });
      case 'busy':
        return this.render(reply, 409, lang, slug, found, { ...keep, message: { key: 'busy' } });
      case 'rate_limited':
        void reply.header('retry-after', String(outcome.retryAfterSeconds));
        return this.render(reply, 429, lang, slug, found, { ...keep, message: { key: 'rateLimited', vars: { seconds: String(outcome.retryAfterSeconds) } } });
      case 'gateway_down':
        return this.render(reply, 502, lang, slug, found, { ...keep, message: { key: 'gatewayDown' } });
      case 'unavailable':
        return this.render(reply, 502, lang, slug, found, { ...keep, message: { key: 'unavailable' } });
    }
  }

  private notFound(reply: FastifyReply, lang: Lang): void {
    const nonce = newNonce();
    applyPageHeaders(reply, { nonce, frameAncestors: "'none'" }, 404);
    void reply.send(
      renderLinkPage({
        ...EMPTY,
        lang,
        nonce,
        path: null,
        notice: { title: 'notFoundTitle', text: 'notFound' },
      }),
    );
  }

  private async render(reply: FastifyReply, status: number, lang: Lang, slug: string, p: PublicLink, over: Partial<LinkPageModel>): Promise<void> {
    const nonce = newNonce();
    // The form posts here, and a Pay is redirected on to the order's checkout_url: our /pay page or a hosted gateway's origin.
    const origins = status === 410 ? [] : await this.checkout.formOrigins(p);
    applyPageHeaders(reply, { nonce, frameAncestors: "'none'", formAction: ["'self'", ...origins].join(' ') }, status);
    const { link } = p;
    void reply.send(
      renderLinkPage({
        ...EMPTY,
        lang,
        nonce,
        path: `/l/${slug}`,
        merchantName: p.merchantName,
        description: link.description,
        currency: link.currency,
        amountMinor: link.amountMinor,
        minMinor: link.amountMinMinor,
        maxMinor: link.amountMaxMinor,
        gateways: p.gateways,
        ...over,
      }),
    );
  }
}

const EMPTY: Omit<LinkPageModel, 'lang' | 'nonce' | 'path'> = {
  merchantName: '',
  description: '',
  currency: 'USD',
  amountMinor: null,
  minMinor: null,
  maxMinor: null,
  gateways: [],
  selected: null,
  amountText: '',
  amountError: null,
  gatewayError: false,
  message: null,
  notice: null,
};
