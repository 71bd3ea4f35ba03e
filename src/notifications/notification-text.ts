import type { NotificationLanguage } from './notification-channels.repository';

/** What a message says of an order event (from the event's order view: decimal amount strings, never floats). */
export interface NotificationFacts {
  type: string;
  amount: string;
  currency: string;
  reference: string;
  gateway: string;
  orderId: string;
  /** false: a test-mode event, whose message is marked as such. */
  livemode?: boolean;
}

const TITLES: Record<NotificationLanguage, Record<string, string>> = {
  en: {
    'order.created': 'New order',
    'order.paid': '✅ Payment received',
    'order.expired': 'Order expired',
    'order.cancelled': 'Order cancelled',
    'order.failed': '❌ Payment failed',
    'order.flagged': '⚠️ Order needs attention',
  },
  km: {
    'order.created': 'ការបញ្ជាទិញថ្មី',
    'order.paid': '✅ បានទទួលការបង់ប្រាក់',
    'order.expired': 'ការបញ្ជាទិញបានផុតកំណត់',
    'order.cancelled': 'ការបញ្ជាទិញត្រូវបានលុបចោល',
    'order.failed': '❌ ការបង់ប្រាក់បរាជ័យ',
    'order.flagged': '⚠️ ការបញ្ជាទិញត្រូវការការពិនិត្យ',
  },
};

const LABELS: Record<NotificationLanguage, { amount: string; reference: string; gateway: string; order: string }> = {
  en: { amount: 'Amount', reference: 'Reference', gateway: 'Gateway', order: 'Order' },
  km: { amount: 'ចំនួនទឹកប្រាក់', reference: 'លេខយោង', gateway: 'ច្រកទូទាត់', order: 'ការបញ្ជាទិញ' },
};

/** How a test-mode message starts, so nobody takes a simulated payment for money received. */
const TEST_MARK: Record<NotificationLanguage, string> = { en: '[TEST]', km: '[TEST សាកល្បង]' };

/** Telegram's limit for one message's text. */
export const TELEGRAM_TEXT_MAX = 4096;

/**
 * The message text, plain (sent without parse_mode, so nothing in a merchant's reference can turn
 * into markup or a link). Each value is cut so the whole stays within Telegram's limit.
 */
export function notificationText(lang: NotificationLanguage, f: NotificationFacts): string {
  const l = LABELS[lang];
  const cut = (v: string, n = 300) => (v.length > n ? `${v.slice(0, n - 1)}…` : v);
  const title = TITLES[lang][f.type] ?? f.type;
  return [
    f.livemode === false ? `${TEST_MARK[lang]} ${title}` : title,
    `${l.amount}: ${cut(f.amount, 40)} ${cut(f.currency, 8)}`,
    `${l.reference}: ${cut(f.reference)}`,
    `${l.gateway}: ${cut(f.gateway, 100)}`,
    `${l.order}: ${cut(f.orderId, 60)}`,
  ].join('\n');
}
