import { createContext, useContext, useEffect, useState, type ReactNode } from 'react';
import { en, km, type MessageKey } from './messages';

export type Lang = 'en' | 'km';
const STORAGE_KEY = 'khqr.lang';
const I18n = createContext<{ lang: Lang; setLang: (l: Lang) => void; t: (k: MessageKey) => string }>({ lang: 'en', setLang: () => undefined, t: (k) => en[k] });

function initialLang(): Lang {
  const stored = localStorage.getItem(STORAGE_KEY);
  if (stored === 'en' || stored === 'km') return stored;
  return navigator.language.toLowerCase().startsWith('km') ? 'km' : 'en';
}

export function I18nProvider({ children }: { children: ReactNode }) {
  const [lang, setLangState] = useState<Lang>(initialLang);
  useEffect(() => {
    document.documentElement.lang = lang;
  }, [lang]);
  const setLang = (l: Lang) => {
    localStorage.setItem(STORAGE_KEY, l);
    setLangState(l);
  };
  const dict = lang === 'km' ? km : en;
  return <I18n.Provider value={{ lang, setLang, t: (k) => dict[k] }}>{children}</I18n.Provider>;
}

export const useI18n = () => useContext(I18n);
