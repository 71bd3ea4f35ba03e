/**
 * The customer-facing strings of the pay page and the top-up widget, in English and Khmer.
 * One small dictionary; placeholders are `{name}`. The language is the `lang` query parameter
 * when given, else the first of km/en in Accept-Language, else English.
 */
import { defineStrings, LANGS, type Lang, type Translate as TranslateKey } from '../common/i18n';

export { LANGS, type Lang };

const en = {
  htmlTitle: 'Pay {merchant}',
  payWithKhqr: 'Pay with KHQR',
  amount: 'Amount',
  payTo: 'Pay to',
  scanHint: 'Scan with your banking app (any Bakong member bank).',
  qrAlt: 'KHQR code to pay {amount} to {merchant}',
  expiresIn: 'Expires in',
  waiting: 'Waiting for your payment…',
  paid: 'Payment received. Thank you!',
  redirecting: 'Taking you back to {merchant}…',
  continueToMerchant: 'Continue',
  expired: 'This payment request has expired. Nothing was charged.',
  cancelled: 'This payment was cancelled.',
  failed: 'This payment could not be completed.',
  backToMerchant: 'Back to {merchant}',
  saveQr: 'Save QR image',
  copyCode: 'Copy KHQR code',
  copied: 'KHQR code copied',
  copyFailed: 'Could not copy; select the code below and copy it.',
  khqrCode: 'KHQR code (text)',
  openBakong: 'Open in bank app',
  saveHint: 'On this phone? Save the QR image, then open your banking app and scan it from your photos.',
  hostedIntro: 'Complete your payment on {provider}\u2019s secure page.',
  continueToPayment: 'Continue to payment page',
  statusLabel: 'Payment status',
  noScript: 'This page updates by itself when JavaScript is on; otherwise reload it after paying.',
  language: 'Language',
  notFoundTitle: 'Payment not found',
  notFound: 'This payment link is not valid. Please ask the merchant for a new one.',
  topupTitle: 'Top up your balance',
  topupAccount: 'Account',
  topupAmount: 'Amount (USD)',
  topupRange: 'Between {min} and {max}',
  topupContinue: 'Continue to payment',
  topupCredited: 'Your balance will be credited automatically once the payment is received.',
  topupPaid: 'Your panel balance is being credited; it shows in your account within a minute.',
  topupUnavailable: 'Top-up is not available for this account right now.',
  topupNoUser: 'Please log in to your panel account, then reload this page to top up your balance.',
  topupBadUser: 'Your panel username could not be read. Please log in again and reload this page.',
  topupBadAmount: 'Enter an amount such as 10.00.',
  topupOutOfRange: 'Enter an amount between {min} and {max}.',
  topupGatewayDown: 'The payment service is not answering. Please try again in a minute.',
  quickAmounts: 'Quick amounts',
};

type Dict = typeof en;

const km: Dict = {
  htmlTitle: 'បង់ប្រាក់ទៅ {merchant}',
  payWithKhqr: 'បង់ប្រាក់តាម KHQR',
  amount: 'ចំនួនទឹកប្រាក់',
  payTo: 'បង់ទៅ',
  scanHint: 'ស្កេនដោយកម្មវិធីធនាគាររបស់អ្នក (ធនាគារសមាជិកបាគងណាមួយ)។',
  qrAlt: 'កូដ KHQR សម្រាប់បង់ {amount} ទៅ {merchant}',
  expiresIn: 'ផុតកំណត់ក្នុង',
  waiting: 'កំពុងរង់ចាំការបង់ប្រាក់របស់អ្នក…',
  paid: 'បានទទួលការបង់ប្រាក់។ សូមអរគុណ!',
  redirecting: 'កំពុងនាំអ្នកត្រឡប់ទៅ {merchant}…',
  continueToMerchant: 'បន្ត',
  expired: 'សំណើបង់ប្រាក់នេះបានផុតកំណត់។ មិនមានការកាត់ប្រាក់ទេ។',
  cancelled: 'ការបង់ប្រាក់នេះត្រូវបានលុបចោល។',
  failed: 'ការបង់ប្រាក់នេះមិនអាចបញ្ចប់បានទេ។',
  backToMerchant: 'ត្រឡប់ទៅ {merchant}',
  saveQr: 'រក្សាទុករូបភាព QR',
  copyCode: 'ចម្លងកូដ KHQR',
  copied: 'បានចម្លងកូដ KHQR',
  copyFailed: 'មិនអាចចម្លងបានទេ។ សូមជ្រើសរើសកូដខាងក្រោម ហើយចម្លងវា។',
  khqrCode: 'កូដ KHQR (អក្សរ)',
  openBakong: 'បើកក្នុងកម្មវិធីធនាគារ',
  saveHint: 'ប្រើទូរសព្ទនេះ? សូមរក្សាទុករូបភាព QR រួចបើកកម្មវិធីធនាគារ ហើយស្កេនវាពីរូបថតរបស់អ្នក។',
  hostedIntro: 'សូមបញ្ចប់ការបង់ប្រាក់នៅលើទំព័រសុវត្ថិភាពរបស់ {provider}។',
  continueToPayment: 'បន្តទៅទំព័របង់ប្រាក់',
  statusLabel: 'ស្ថានភាពការបង់ប្រាក់',
  noScript: 'ទំព័រនេះធ្វើបច្ចុប្បន្នភាពដោយខ្លួនឯងនៅពេលបើក JavaScript; បើមិនដូច្នោះទេ សូមផ្ទុកវាឡើងវិញបន្ទាប់ពីបង់ប្រាក់។',
  language: 'ភាសា',
  notFoundTitle: 'រកមិនឃើញការបង់ប្រាក់',
  notFound: 'តំណបង់ប្រាក់នេះមិនត្រឹមត្រូវទេ។ សូមស្នើសុំតំណថ្មីពីអ្នកលក់។',
  topupTitle: 'បញ្ចូលទឹកប្រាក់ទៅសមតុល្យរបស់អ្នក',
  topupAccount: 'គណនី',
  topupAmount: 'ចំនួនទឹកប្រាក់ (USD)',
  topupRange: 'ចន្លោះ {min} និង {max}',
  topupContinue: 'បន្តទៅការបង់ប្រាក់',
  topupCredited: 'សមតុល្យរបស់អ្នកនឹងត្រូវបានបញ្ចូលដោយស្វ័យប្រវត្តិ នៅពេលទទួលបានការបង់ប្រាក់។',
  topupPaid: 'សមតុល្យផេណលរបស់អ្នកកំពុងត្រូវបានបញ្ចូល ហើយនឹងបង្ហាញក្នុងគណនីរបស់អ្នកក្នុងរយៈពេលមួយនាទី។',
  topupUnavailable: 'ការបញ្ចូលទឹកប្រាក់មិនអាចប្រើបានសម្រាប់គណនីនេះនៅពេលនេះទេ។',
  topupNoUser: 'សូមចូលគណនីផេណលរបស់អ្នក រួចផ្ទុកទំព័រនេះឡើងវិញ ដើម្បីបញ្ចូលទឹកប្រាក់។',
  topupBadUser: 'មិនអាចអានឈ្មោះអ្នកប្រើប្រាស់ផេណលរបស់អ្នកបានទេ។ សូមចូលម្តងទៀត ហើយផ្ទុកទំព័រនេះឡើងវិញ។',
  topupBadAmount: 'សូមបញ្ចូលចំនួនដូចជា 10.00។',
  topupOutOfRange: 'សូមបញ្ចូលចំនួនចន្លោះ {min} និង {max}។',
  topupGatewayDown: 'សេវាបង់ប្រាក់មិនឆ្លើយតបទេ។ សូមព្យាយាមម្តងទៀតក្នុងរយៈពេលមួយនាទី។',
  quickAmounts: 'ចំនួនរហ័ស',
};

export type StringKey = keyof Dict;
/** A translator for one language: t('key', {name: value}). */
export type Translate = TranslateKey<StringKey>;

export const { translator, dictionaries } = defineStrings({ en, km });

/** Every key of one language, for a page's script (status texts change without a reload). */
export function strings(lang: Lang, keys: StringKey[], vars: Record<string, string> = {}): Record<string, string> {
  const t = translator(lang);
  return Object.fromEntries(keys.map((k) => [k, t(k, vars)]));
}

export const LANG_NAMES: Record<Lang, string> = { en: 'English', km: 'ខ្មែរ' };

/** `lang` query parameter first, then Accept-Language (quality-ordered), else English. */
export function pickLang(query: unknown, acceptLanguage: string | undefined): Lang {
  if (query === 'km' || query === 'en') return query;
  const ranked = String(acceptLanguage ?? '')
    .split(',')
    .map((part, i) => {
      const [tag, ...params] = part.trim().toLowerCase().split(';');
      const q = params.map((p) => /^\s*q=([\d.]+)\s*$/.exec(p)?.[1]).find(Boolean);
      return { base: tag.split('-')[0], q: q === undefined ? 1 : Number(q), i };
    })
    .filter((x) => x.base && x.q > 0)
    .sort((a, b) => b.q - a.q || a.i - b.i);
  for (const { base } of ranked) if (base === 'km' || base === 'en') return base;
  return 'en';
}
