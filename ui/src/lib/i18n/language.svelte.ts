// The language the UI speaks, as reactive state. `t()` reads it, so any template
// that calls `t()` re-renders when the language changes.
import type { Language } from '../bindings/Language';
import { en, type MessageKey } from './en';
import { zhCN } from './zh-CN';

export type { MessageKey };
export type MessageParams = Record<string, string | number>;

export const LANGUAGES: readonly Language[] = ['en', 'zh-CN'];

const dictionaries: Record<Language, Record<MessageKey, string>> = {
  en,
  'zh-CN': zhCN,
};

const current = $state<{ language: Language }>({ language: 'en' });

export function isMessageKey(key: string): key is MessageKey {
  return Object.hasOwn(en, key);
}

export function isLanguage(value: string): value is Language {
  return (LANGUAGES as readonly string[]).includes(value);
}

export function language(): Language {
  return current.language;
}

export function setLanguage(language: Language): void {
  current.language = isLanguage(language) ? language : 'en';
  if (typeof document !== 'undefined') {
    document.documentElement.lang = current.language;
  }
}

export function t(key: MessageKey, params?: MessageParams): string {
  const text = dictionaries[current.language][key] ?? en[key] ?? key;
  if (!params) return text;
  return text.replace(/\{(\w+)\}/g, (whole, name: string) =>
    Object.hasOwn(params, name) ? String(params[name]) : whole,
  );
}
