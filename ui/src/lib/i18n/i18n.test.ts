import { afterEach, describe, expect, it } from 'vitest';
import { en } from './en';
import { setLanguage, t } from './language.svelte';
import { zhCN } from './zh-CN';

describe('i18n dictionaries', () => {
  it('have exactly the same keys', () => {
    expect(Object.keys(zhCN).sort()).toEqual(Object.keys(en).sort());
  });

  it('have no empty translations', () => {
    for (const dictionary of [en, zhCN]) {
      for (const [key, value] of Object.entries(dictionary)) {
        expect(value.trim(), key).not.toBe('');
      }
    }
  });

  it('use the same placeholders in both languages', () => {
    const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
    for (const key of Object.keys(en) as (keyof typeof en)[]) {
      expect(placeholders(zhCN[key]), key).toEqual(placeholders(en[key]));
    }
  });
});

describe('t()', () => {
  afterEach(() => setLanguage('en'));

  it('fills placeholders', () => {
    expect(t('platform.connectedMany', { count: 5 })).toBe('Connected — 5 models');
    expect(t('platform.balance', { amount: '12.34', currency: 'USD' })).toBe('Balance: 12.34 USD');
  });

  it('follows the current language', () => {
    expect(t('nav.settings')).toBe('Settings');
    setLanguage('zh-CN');
    expect(t('nav.settings')).toBe('设置');
    expect(document.documentElement.lang).toBe('zh-CN');
  });
});
