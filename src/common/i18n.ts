/**
 * The customer-facing pages' languages and the one translator their dictionaries share
 * (src/checkout-pages/i18n.ts for /pay and the top-up widget, src/payment-links/link-i18n.ts).
 */
export const LANGS = ['en', 'km'] as const;
export type Lang = (typeof LANGS)[number];

/** `t('key', {name: value})`: the key's string with each `{name}` replaced (an unknown placeholder stays as written). */
export type Translate<Key extends string> = (key: Key, vars?: Record<string, string>) => string;

/** One dictionary per language (each has every key of the English one, which the compiler checks) → a translator per language. */
export function defineStrings<Dict extends Record<string, string>>(dicts: Record<Lang, Dict>) {
  return {
    translator(lang: Lang): Translate<Extract<keyof Dict, string>> {
      const dict = dicts[lang];
      return (key, vars) => dict[key].replace(/\{(\w+)\}/g, (whole, name: string) => vars?.[name] ?? whole);
    },
    /** Both dictionaries, for a spec that checks every key is translated. */
    dictionaries: (): Record<Lang, Dict> => dicts,
  };
}
