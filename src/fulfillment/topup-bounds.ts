/**
 * The top-up amounts fulfillment settles in: the merchant's SMM settings (PUT /v1/smm-panel) default to
 * them and the widget in checkout-pages/ reads them from here (fulfillment/ does not import checkout-pages/).
 */

/** The widget's bounds until the merchant sets its own (PUT /v1/smm-panel); RaksmeyPay's sample embed uses min=1&max=1000. */
export const TOPUP_DEFAULT_MIN_MINOR = 100;
export const TOPUP_DEFAULT_MAX_MINOR = 100_000;
/** Top-ups are in USD: SMM panels keep balances in dollars. */
export const TOPUP_CURRENCY = 'USD' as const;
