import { defineStrings, type Translate } from '../common/i18n';

/**
 * The payment-link page's strings in English and Khmer (placeholders `{name}`). The language is
 * chosen the way /pay chooses it (src/checkout-pages/i18n.ts pickLang), with the same switch.
 */
const en = {
  htmlTitle: 'Pay {merchant}',
  payTo: 'Pay to',
  amount: 'Amount',
  amountLabel: 'Amount ({currency})',
  amountRange: 'Between {min} and {max}',
  amountBad: 'Enter an amount such as {example}.',
  amountOutOfRange: 'Enter an amount between {min} and {max}.',
  payWith: 'Pay with',
  gatewayBad: 'Choose how you want to pay.',
  pay: 'Pay',
  payAmount: 'Pay {amount}',
  working: 'Opening the payment…',
  nextStep: 'The next page shows the KHQR code or your payment service’s page.',
  goneTitle: 'Payment link unavailable',
  goneInactive: 'The merchant has turned this payment link off. Nothing was charged.',
  goneExpired: 'This payment link has expired. Nothing was charged.',
  goneUsedUp: 'This payment link has already received all its payments. Nothing was charged.',
  askMerchant: 'Please ask {merchant} for a new link.',
  notFoundTitle: 'Payment link not found',
  notFound: 'This payment link is not valid. Please ask the merchant for a new one.',
  busy: 'All remaining payments of this link are being paid right now. Please try again in a few minutes.',
  rateLimited: 'Too many payments are being started right now. Please try again in {seconds} seconds.',
  gatewayDown: 'The payment service is not answering. Please try again in a minute.',
  unavailable: 'This payment method is not available right now. Please choose another one or try again later.',
};

type Dict = typeof en;

const km: Dict = {
  htmlTitle: 'បង់ប្រាក់ទៅ {merchant}',
  payTo: 'បង់ទៅ',
  amount: 'ចំនួនទឹកប្រាក់',
  amountLabel: 'ចំនួនទឹកប្រាក់ ({currency})',
  amountRange: 'ចន្លោះ {min} និង {max}',
  amountBad: 'សូមបញ្ចូលចំនួនដូចជា {example}។',
  amountOutOfRange: 'សូមបញ្ចូលចំនួនចន្លោះ {min} និង {max}។',
  payWith: 'បង់តាម',
  gatewayBad: 'សូមជ្រើសរើសវិធីបង់ប្រាក់។',
  pay: 'បង់ប្រាក់',
  payAmount: 'បង់ {amount}',
  working: 'កំពុងបើកការបង់ប្រាក់…',
  nextStep: 'ទំព័របន្ទាប់បង្ហាញកូដ KHQR ឬទំព័រសេវាបង់ប្រាក់ដែលអ្នកបានជ្រើសរើស។',
  goneTitle: 'តំណបង់ប្រាក់មិនអាចប្រើបាន',
  goneInactive: 'អ្នកលក់បានបិទតំណបង់ប្រាក់នេះ។ មិនមានការកាត់ប្រាក់ទេ។',
  goneExpired: 'តំណបង់ប្រាក់នេះបានផុតកំណត់។ មិនមានការកាត់ប្រាក់ទេ។',
  goneUsedUp: 'តំណបង់ប្រាក់នេះបានទទួលការបង់ប្រាក់គ្រប់ចំនួនហើយ។ មិនមានការកាត់ប្រាក់ទេ។',
  askMerchant: 'សូមស្នើសុំតំណថ្មីពី {merchant}។',
  notFoundTitle: 'រកមិនឃើញតំណបង់ប្រាក់',
  notFound: 'តំណបង់ប្រាក់នេះមិនត្រឹមត្រូវទេ។ សូមស្នើសុំតំណថ្មីពីអ្នកលក់។',
  busy: 'ការបង់ប្រាក់ដែលនៅសល់ទាំងអស់នៃតំណនេះ កំពុងត្រូវបានបង់ឥឡូវនេះ។ សូមព្យាយាមម្តងទៀតក្នុងរយៈពេលពីរបីនាទី។',
  rateLimited: 'មានការចាប់ផ្តើមបង់ប្រាក់ច្រើនពេកនៅពេលនេះ។ សូមព្យាយាមម្តងទៀតក្នុងរយៈពេល {seconds} វិនាទី។',
  gatewayDown: 'សេវាបង់ប្រាក់មិនឆ្លើយតបទេ។ សូមព្យាយាមម្តងទៀតក្នុងរយៈពេលមួយនាទី។',
  unavailable: 'វិធីបង់ប្រាក់នេះមិនអាចប្រើបាននៅពេលនេះទេ។ សូមជ្រើសរើសវិធីផ្សេង ឬព្យាយាមម្តងទៀតពេលក្រោយ។',
};

export type LinkStringKey = keyof Dict;
export type LinkTranslate = Translate<LinkStringKey>;

export const { translator: linkTranslator, dictionaries: linkDictionaries } = defineStrings({ en, km });
