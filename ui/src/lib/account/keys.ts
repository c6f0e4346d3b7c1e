// The key form's values, as typed, and what the core takes.
import type { ApiKeyInput } from '../bindings/ApiKeyInput';
import { dayBounds } from './money';

export interface Draft {
  name: string;
  /** In the display currency; empty: unlimited. */
  quota: string;
  /** `YYYY-MM-DD`, the last day the key works; empty: never expires. */
  expires: string;
  /** Comma-separated; empty: any model. */
  models: string;
}

/** `null` while the name is missing or a number or date cannot be read. */
export function toInput(form: Draft): ApiKeyInput | null {
  const name = form.name.trim();
  if (!name) return null;
  const quota = form.quota.trim() === '' ? null : Number(form.quota.replace(',', '.'));
  if (quota !== null && (!Number.isFinite(quota) || quota < 0)) return null;
  const expires = form.expires ? dayBounds(form.expires) : null;
  if (form.expires && !expires) return null;
  const models = form.models
    .split(',')
    .map((m) => m.trim())
    .filter(Boolean);
  return { name, quota, expires_at: expires?.end ?? null, model_limits: models };
}
