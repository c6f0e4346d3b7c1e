// Money as the platform shows it. Amounts arrive already converted with the platform's
// own unit settings; here they only get their symbol and precision.
import type { Balance } from '../bindings/Balance';
import type { KeyStatus } from '../bindings/KeyStatus';

/** `precise`: per-call costs, where cents hide most of the difference between two calls. */
export function formatMoney(amount: number, currency: string, locale = 'en', precise = false): string {
  if (currency === 'tokens' || currency === 'quota') {
    return `${Math.round(amount).toLocaleString(locale)} ${currency}`;
  }
  const small = Math.abs(amount) > 0 && Math.abs(amount) < (precise ? 1 : 0.01);
  const digits = small ? 4 : 2;
  const number = amount.toLocaleString(locale, { minimumFractionDigits: 2, maximumFractionDigits: digits });
  if (currency === 'USD') return amount < 0 ? `-$${number.replace('-', '')}` : `$${number}`;
  if (currency === 'CNY') return amount < 0 ? `-¥${number.replace('-', '')}` : `¥${number}`;
  // A custom display currency is its symbol.
  return `${currency}${number}`;
}

/** What is left: `available`, or `total - used` where only those are known. */
export function remaining(balance: Balance): number | null {
  if (balance.available !== null) return balance.available;
  if (balance.total !== null && balance.used !== null) return balance.total - balance.used;
  return null;
}

export type BalanceWarning = 'expired' | 'empty' | 'low' | null;

/** Warn before calls start failing: an expired key, nothing left, or under a tenth of the grant. */
export function balanceWarning(key: KeyStatus | null, now = Date.now() / 1000): BalanceWarning {
  if (!key) return null;
  if (key.expired || (key.expires_at !== null && key.expires_at < now)) return 'expired';
  if (key.balance.unlimited) return null;
  const left = remaining(key.balance);
  if (left === null) return null;
  if (left <= 0) return 'empty';
  const total = key.balance.total;
  if (total !== null && total > 0 && left / total < 0.1) return 'low';
  return null;
}

/** `2024-03-01` → Unix seconds at the viewer's local midnight (start) or end of that day. */
export function dayBounds(date: string): { start: number; end: number } | null {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date.trim());
  if (!match) return null;
  const start = new Date(Number(match[1]), Number(match[2]) - 1, Number(match[3]));
  if (Number.isNaN(start.getTime())) return null;
  const end = new Date(start);
  end.setDate(end.getDate() + 1);
  return { start: Math.floor(start.getTime() / 1000), end: Math.floor(end.getTime() / 1000) - 1 };
}

export function formatTime(unix: number, locale = 'en'): string {
  return new Date(unix * 1000).toLocaleString(locale, {
    year: 'numeric',
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
  });
}

export function formatDate(unix: number, locale = 'en'): string {
  return new Date(unix * 1000).toLocaleDateString(locale, { year: 'numeric', month: 'short', day: 'numeric' });
}
