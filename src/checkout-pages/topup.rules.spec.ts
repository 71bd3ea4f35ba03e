import { displayAmount } from './html';
import { pickLang, translator } from './i18n';
import { isTopupOrder, quickAmounts, validateTopup } from './topup.rules';

const show = (m: number) => displayAmount(m, 'USD');
const bounds = (min: number, max: number) => ({ minMinor: min, maxMinor: max });

describe('top-up widget rules', () => {
  it('accepts an amount within [min, max]', () => {
    expect(validateTopup({ amount: '10', u: 'alice', e: 'a@example.com' }, bounds(100, 10000), true, show)).toMatchObject({
      fatal: null,
      amountError: null,
      amountMinor: 1000,
      minMinor: 100,
      maxMinor: 10000,
      user: 'alice',
      email: 'a@example.com',
    });
    expect(validateTopup({ amount: '1', u: 'a' }, bounds(100, 100), true, show).amountMinor).toBe(100);
  });

  it('takes the bounds from the merchant only (the browser cannot send any) and drops an email that is not one', () => {
    const forged = { amount: '5000', min: '1', max: '100000', u: 'alice', e: 'nope' } as Parameters<typeof validateTopup>[0];
    expect(validateTopup(forged, bounds(100, 1000), true, show)).toMatchObject({
      minMinor: 100,
      maxMinor: 1000,
      amountMinor: null,
      amountError: { key: 'topupOutOfRange' },
      email: null,
    });
  });

  it.each([
    [{}, 'topupNoUser'],
    [{ u: 'a b' }, 'topupBadUser'],
    [{ u: '<x>' }, 'topupBadUser'],
  ])('refuses the whole widget for %j', (params, key) => {
    expect(validateTopup(params, bounds(100, 100000), true, show).fatal?.key).toBe(key);
  });

  it.each([
    ['0.99', 'topupOutOfRange'],
    ['100.01', 'topupOutOfRange'],
    ['abc', 'topupBadAmount'],
    ['1.001', 'topupBadAmount'],
    ['', 'topupOutOfRange'],
  ])('flags the amount %s', (amount, key) => {
    const v = validateTopup({ amount, u: 'a' }, bounds(100, 10000), true, show);
    expect(v.fatal).toBeNull();
    expect(v.amountError?.key).toBe(key);
    expect(v.amountMinor).toBeNull();
  });

  it('the message names the bounds', () => {
    const v = validateTopup({ amount: '5000', u: 'a' }, bounds(100, 100050), true, show);
    expect(translator('en')(v.amountError!.key, v.amountError!.vars)).toBe('Enter an amount between $1.00 and $1,000.50.');
    expect(translator('km')(v.amountError!.key, v.amountError!.vars)).toBe('សូមបញ្ចូលចំនួនចន្លោះ $1.00 និង $1,000.50។');
  });

  it('offers quick amounts inside the range', () => {
    expect(quickAmounts(100, 100000)).toEqual([500, 1000, 2000, 5000]);
    expect(quickAmounts(1500, 3000)).toEqual([2000]);
    expect(quickAmounts(1, 2)).toEqual([]);
  });

  it('recognises top-up orders by their metadata', () => {
    expect(isTopupOrder({ source: 'smm_topup', smm_user: 'a' })).toBe(true);
    expect(isTopupOrder({ smm_user: 'a' })).toBe(false);
    expect(isTopupOrder(null)).toBe(false);
  });
});

describe('language choice', () => {
  it('prefers the lang parameter, then Accept-Language by quality', () => {
    expect(pickLang('km', 'en')).toBe('km');
    expect(pickLang(undefined, 'fr-FR,km;q=0.8,en;q=0.7')).toBe('km');
    expect(pickLang(undefined, 'en;q=0.5,km;q=0.9')).toBe('km');
    expect(pickLang(undefined, 'km;q=0,en')).toBe('en');
    expect(pickLang('xx', undefined)).toBe('en');
  });

  it('has every string in both languages', () => {
    const en = translator('en');
    const km = translator('km');
    expect(km('payWithKhqr')).not.toBe(en('payWithKhqr'));
    expect(displayAmount(500000, 'KHR')).toBe('៛500,000');
    expect(displayAmount(123456, 'USD')).toBe('$1,234.56');
  });
});
