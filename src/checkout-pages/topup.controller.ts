import { Body, Controller, Get, Headers, Logger, Param, Post, Query, Res } from '@nestjs/common';
import { liveScope } from '../common/scope';
import { ApiBody, ApiOkResponse, ApiOperation, ApiParam, ApiProduces, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { randomToken } from '../common/crypto';
import { formatAmount } from '../common/money';
import { COMMON_ERRORS, problem, ProblemException } from '../common/problem';
import { AppConfig } from '../config/config';
import { OrdersService } from '../orders/orders.service';
import { applyPageHeaders, displayAmount, newNonce } from './html';
import { Lang, pickLang } from './i18n';
import { renderTopupPage, TopupPageModel } from './topup-page';
import {
  quickAmounts,
  TOPUP_CURRENCY,
  TOPUP_DEFAULT_MAX_MINOR,
  TOPUP_DEFAULT_MIN_MINOR,
  TOPUP_SOURCE,
  TopupBounds,
  TopupMessage,
  validateTopup,
} from './topup.rules';
import { TopupService, WidgetContext } from './topup.service';

type Params = Record<string, string | string[] | undefined>;

/** For the 404 page of an unavailable widget, which shows no form. */
const NO_BOUNDS: TopupBounds = { minMinor: TOPUP_DEFAULT_MIN_MINOR, maxMinor: TOPUP_DEFAULT_MAX_MINOR };

const first = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[v.length - 1] : v);

/**
 * The posted form as a browser sends it: strings, or repeated strings. A JSON body may carry
 * anything; a finite number reads as its decimal text and every other value is ignored, so
 * the validation below only ever sees strings.
 */
function formFields(raw: unknown): Params {
  const out: Params = {};
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return out;
  for (const [key, value] of Object.entries(raw)) {
    if (key === '__proto__') continue;
    if (typeof value === 'string') out[key] = value;
    else if (typeof value === 'number' && Number.isFinite(value)) out[key] = String(value);
    else if (Array.isArray(value) && value.length && value.every((v) => typeof v === 'string')) out[key] = value as string[];
  }
  return out;
}

@ApiTags('Checkout pages')
@Controller('topup')
export class TopupController {
  private readonly logger = new Logger(TopupController.name);

  constructor(
    private readonly topups: TopupService,
    private readonly orders: OrdersService,
    private readonly config: AppConfig,
  ) {}

  @Get(':merchantId')
  @ApiOperation({
    summary: 'SMM top-up widget (HTML, embeddable in any page)',
    description:
      "The panel embeds it in an iframe the way RaksmeyPay's SMM embed code does (`?amount=10`, then `&u=<login>&e=<email>` appended by the panel's script). " +
      "The customer picks an amount within the merchant's bounds (min_amount, max_amount and preset_amounts of PUT /v1/smm-panel; `min`/`max` in the URL are ignored) and continues to a KHQR payment; " +
      'when it is PAID the orchestrator credits the panel user. A missing user shows a clear message and no form; an amount outside the bounds is flagged beside the field. ' +
      'Frameable by any origin (this route and its pay page only). Cache-Control: no-store.',
  })
  @ApiParam({ name: 'merchantId', example: 'mer_01jd0000000000000000000000' })
  @ApiQuery({ name: 'amount', required: false, example: '10' })
  @ApiQuery({ name: 'u', required: false, description: "The panel user's login" })
  @ApiQuery({ name: 'e', required: false, description: "The panel user's email" })
  @ApiQuery({ name: 'lang', required: false, enum: ['en', 'km'] })
  @ApiProduces('text/html')
  @ApiOkResponse({ description: 'The widget.' })
  async getTopupPage(
    @Param('merchantId') merchantId: string,
    @Query() query: Params,
    @Headers('accept-language') acceptLanguage: string | undefined,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const lang = pickLang(first(query.lang), acceptLanguage);
    const ctx = await this.topups.context(merchantId);
    const v = validateTopup(query, ctx ?? NO_BOUNDS, false, (m) => displayAmount(m, TOPUP_CURRENCY));
    const amountText = first(query.amount) ?? '';
    this.render(reply, ctx ? 200 : 404, lang, merchantId, query, ctx, {
      fatal: ctx ? v.fatal : { key: 'topupUnavailable' },
      amountError: v.amountError,
      formError: null,
      minMinor: v.minMinor,
      maxMinor: v.maxMinor,
      amountText: v.amountMinor !== null ? formatAmount(v.amountMinor, TOPUP_CURRENCY) : amountText.slice(0, 20),
      user: v.user,
      email: v.email,
    });
  }

  @Post(':merchantId')
  @ApiOperation({
    summary: 'SMM top-up widget: create the payment (HTML form post)',
    description:
      "Form fields amount (or preset), u, e, lang; the bounds are the merchant's panel settings (min/max fields are ignored). " +
      'The same panel user asking for the same amount while an earlier order is PENDING with at least 5 minutes left gets that order again (303 to it, nothing created). ' +
      'Otherwise creates a KHQR order for the merchant (metadata {source: "smm_topup", smm_user, smm_email}) with the panel\'s gateway ' +
      "(its setting, else the first configured of bakong, bakongapi, raksmeypay, ahnajak) and answers 303 to our /pay page, or to the gateway's checkout_url for raksmeypay and ahnajak. " +
      'Invalid: 400 with the widget and a message; no order is created. New orders are capped per merchant (TOPUP_ORDERS_PER_MERCHANT_PER_MIN, across instances): over it, 429 problem with Retry-After.',
  })
  @ApiParam({ name: 'merchantId', example: 'mer_01jd0000000000000000000000' })
  @ApiBody({
    required: true,
    schema: {
      type: 'object',
      properties: {
        amount: { type: 'string', example: '10.00' },
        preset: { type: 'string' },
        u: { type: 'string' },
        e: { type: 'string' },
        lang: { type: 'string', enum: ['en', 'km'] },
      },
    },
  })
  @ApiResponse({ status: 303, description: "To the pay page (or the gateway's hosted page)." })
  @ApiResponse({ status: 400, description: 'The widget again, with a message; nothing created.' })
  @ApiResponse({
    status: 429,
    description: "Problem: the merchant's cap on new top-up orders is reached; Retry-After says when the window ends. Nothing created.",
  })
  async createTopup(
    @Param('merchantId') merchantId: string,
    @Body() rawBody: unknown,
    @Headers('accept-language') acceptLanguage: string | undefined,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const form = formFields(rawBody);
    const lang = pickLang(first(form.lang), acceptLanguage);
    const ctx = await this.topups.context(merchantId);
    const preset = first(form.preset);
    const fields = { ...form, amount: preset ?? form.amount };
    const v = validateTopup(fields, ctx ?? NO_BOUNDS, true, (m) => displayAmount(m, TOPUP_CURRENCY));
    const query: Params = { u: form.u, e: form.e };
    const base: Omit<TopupPageModel, 'lang' | 'nonce' | 'merchantId' | 'merchantName' | 'quick' | 'query'> = {
      fatal: ctx ? v.fatal : { key: 'topupUnavailable' },
      amountError: v.amountError,
      formError: null,
      minMinor: v.minMinor,
      maxMinor: v.maxMinor,
      amountText: (first(fields.amount) ?? '').slice(0, 20),
      user: v.user,
      email: v.email,
    };
    if (!ctx || v.fatal || v.amountError || v.amountMinor === null) return this.render(reply, ctx ? 400 : 404, lang, merchantId, query, ctx, base);

    // A second request (a reload, a double tap, a script) for what is already waiting to be paid gets that order: no new one.
    const open = await this.topups.openOrder(merchantId, ctx.provider, v.user, v.amountMinor);
    if (open) return this.redirect(reply, open, lang);
    const budget = await this.topups.takeCreateBudget(merchantId);
    if (!budget.granted) {
      this.logger.warn({ merchantId }, 'top-up order cap reached');
      const limit = this.config.topupOrdersPerMerchantPerMin;
      throw problem(
        COMMON_ERRORS.rate_limited,
        `too many new top-up orders for this merchant: the limit is ${limit} per minute; retry after ${budget.retryAfterSeconds} s`,
        {
          headers: { 'Retry-After': String(budget.retryAfterSeconds) },
          limit,
        },
      );
    }

    let formError: TopupMessage;
    try {
      const order = await this.orders.create(liveScope(merchantId), {
        provider: ctx.provider,
        amount: formatAmount(v.amountMinor, TOPUP_CURRENCY),
        currency: TOPUP_CURRENCY,
        reference: `topup-${randomToken(12)}`,
        description: `Balance top-up: ${v.user}`.slice(0, 1000),
        customer: v.email ? { name: v.user.slice(0, 200), email: v.email } : { name: v.user.slice(0, 200) },
        metadata: { source: TOPUP_SOURCE, smm_user: v.user, smm_email: v.email },
      });
      return this.redirect(reply, order, lang);
    } catch (err) {
      if (!(err instanceof ProblemException)) throw err;
      this.logger.warn({ merchantId, code: err.code, detail: err.detail }, 'top-up order not created');
      formError = err.status >= 500 ? { key: 'topupGatewayDown' } : { key: 'topupUnavailable' };
    }
    this.render(reply, 502, lang, merchantId, query, ctx, { ...base, formError });
  }

  /** To our pay page (in embed mode), or to the gateway's own page when it has one. */
  private redirect(reply: FastifyReply, order: { id: string; checkout_url: string | null }, lang: Lang): void {
    const ours = `${this.config.publicBaseUrl}/pay/${order.id}`;
    const target = !order.checkout_url || order.checkout_url === ours ? `${ours}?${new URLSearchParams({ embed: '1', lang })}` : order.checkout_url;
    void reply.status(303).header('location', target).header('cache-control', 'no-store').send();
  }

  private render(
    reply: FastifyReply,
    status: number,
    lang: Lang,
    merchantId: string,
    query: Params,
    ctx: WidgetContext | null,
    m: Omit<TopupPageModel, 'lang' | 'nonce' | 'merchantId' | 'merchantName' | 'quick' | 'query'>,
  ): void {
    const nonce = newNonce();
    const keep: Record<string, string> = {};
    for (const k of ['amount', 'u', 'e'] as const) {
      const value = first(query[k]);
      if (typeof value === 'string') keep[k] = value.slice(0, 200);
    }
    // Embeddable by any panel: this route only. The form posts to us, and may be redirected to the gateway's page.
    applyPageHeaders(reply, { nonce, frameAncestors: '*', formAction: `'self'${ctx?.gatewayOrigin ? ` ${ctx.gatewayOrigin}` : ''}` }, status);
    void reply.send(
      renderTopupPage({
        ...m,
        lang,
        nonce,
        merchantId,
        merchantName: ctx?.merchantName ?? '',
        quick: ctx?.presetsMinor.length ? ctx.presetsMinor : quickAmounts(m.minMinor, m.maxMinor),
        query: keep,
      }),
    );
  }
}
