/**
 * Whose data, in which mode: what every repository call on a mode-carrying table takes instead of a
 * bare merchant id (docs/test-mode.md). A test key (`sk_test_…`) yields `livemode: false`, a live
 * key `true`; queries filter on both columns, so a key never reads or changes the other mode's rows.
 */
export interface Scope {
  readonly merchantId: string;
  readonly livemode: boolean;
}

export const liveScope = (merchantId: string): Scope => ({ merchantId, livemode: true });

/** The scope a stored row belongs to (an order, a transaction, an account: anything with both columns). */
export const scopeOf = (row: { merchantId: string; livemode: boolean }): Scope => ({ merchantId: row.merchantId, livemode: row.livemode });
