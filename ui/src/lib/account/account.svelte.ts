// The Account page's state. The key's overview is shared with the top bar's balance chip.
import type { AccountCredentialsView } from '../bindings/AccountCredentialsView';
import type { AccountSummary } from '../bindings/AccountSummary';
import type { ApiKey } from '../bindings/ApiKey';
import type { ApiKeyInput } from '../bindings/ApiKeyInput';
import type { IpcError } from '../bindings/IpcError';
import type { KeyOverview } from '../bindings/KeyOverview';
import type { KeyStorage } from '../bindings/KeyStorage';
import type { LogKind } from '../bindings/LogKind';
import type { LogPage } from '../bindings/LogPage';
import type { Redeemed } from '../bindings/Redeemed';
import type { Spending } from '../bindings/Spending';
import * as ipc from '../ipc';
import { app } from '../app.svelte';
import { balanceWarning, dayBounds, type BalanceWarning } from './money';

export interface LogFilters {
  from: string;
  to: string;
  model: string;
  keyName: string;
  kind: LogKind | '';
}

export const PAGE_SIZE = 10;

export class AccountState {
  overview = $state<KeyOverview | null>(null);
  overviewError = $state<IpcError | null>(null);
  credentials = $state<AccountCredentialsView | null>(null);
  summary = $state<AccountSummary | null>(null);
  /** The platform has no account API: its panels are hidden. */
  accountOffered = $state(true);
  accountError = $state<IpcError | null>(null);

  logs = $state<LogPage | null>(null);
  logsError = $state<IpcError | null>(null);
  filters = $state<LogFilters>({ from: '', to: '', model: '', keyName: '', kind: '' });
  page = $state(1);

  spendingDays = $state(14);
  spending = $state<Spending | null>(null);
  spendingError = $state<IpcError | null>(null);

  keys = $state<ApiKey[] | null>(null);
  keysCurrency = $state('USD');
  keysError = $state<IpcError | null>(null);

  get warning(): BalanceWarning {
    return balanceWarning(this.overview?.key ?? null);
  }

  get pages(): number {
    if (!this.logs) return 1;
    return Math.max(1, Math.ceil(this.logs.total / Math.max(1, this.logs.page_size)));
  }

  /** The key's balance and calls; a failure is kept, not thrown, so the top bar stays quiet. */
  async loadOverview(): Promise<void> {
    try {
      this.overview = await ipc.keyOverview();
      this.overviewError = null;
    } catch (error) {
      this.overview = null;
      this.overviewError = ipc.toIpcError(error);
    }
  }

  async loadAccount(): Promise<void> {
    this.accountError = null;
    try {
      this.credentials = await ipc.accountCredentials();
    } catch (error) {
      this.accountError = ipc.toIpcError(error);
      return;
    }
    if (!this.credentials.configured) {
      this.summary = null;
      return;
    }
    try {
      const summary = await ipc.accountSummary();
      this.accountOffered = summary !== null;
      this.summary = summary;
    } catch (error) {
      this.accountError = ipc.toIpcError(error);
      return;
    }
    if (this.accountOffered) {
      await Promise.all([this.loadLogs(), this.loadSpending(), this.loadKeys()]);
    }
  }

  async signIn(accessToken: string, userId: number, storage: KeyStorage): Promise<boolean> {
    this.accountError = null;
    try {
      this.summary = await ipc.saveAccountCredentials({ access_token: accessToken, user_id: userId, storage });
      this.accountOffered = true;
    } catch (error) {
      this.accountError = ipc.toIpcError(error);
      return false;
    }
    await this.loadAccount();
    return true;
  }

  async signOut(): Promise<void> {
    await ipc.forgetAccountCredentials();
    this.summary = null;
    this.logs = null;
    this.spending = null;
    this.keys = null;
    await this.loadAccount();
  }

  async loadLogs(page = this.page): Promise<void> {
    const from = this.filters.from ? dayBounds(this.filters.from) : null;
    const to = this.filters.to ? dayBounds(this.filters.to) : null;
    try {
      const logs = await ipc.usageLogs({
        page,
        page_size: PAGE_SIZE,
        start: from?.start ?? null,
        end: to?.end ?? null,
        model: this.filters.model.trim() || null,
        key_name: this.filters.keyName.trim() || null,
        kind: this.filters.kind || null,
      });
      this.logs = logs;
      this.page = page;
      this.logsError = null;
    } catch (error) {
      this.logsError = ipc.toIpcError(error);
    }
  }

  async applyFilters(): Promise<void> {
    await this.loadLogs(1);
  }

  async loadSpending(days = this.spendingDays): Promise<void> {
    const now = new Date();
    const start = new Date(now.getFullYear(), now.getMonth(), now.getDate() - (days - 1));
    try {
      this.spending = await ipc.spending({
        start: Math.floor(start.getTime() / 1000),
        end: Math.floor(now.getTime() / 1000),
        utc_offset_minutes: -now.getTimezoneOffset(),
      });
      this.spendingDays = days;
      this.spendingError = null;
    } catch (error) {
      this.spendingError = ipc.toIpcError(error);
    }
  }

  async loadKeys(): Promise<void> {
    try {
      const list = await ipc.apiKeys();
      this.keys = list?.keys ?? null;
      if (list) this.keysCurrency = list.currency;
      this.keysError = null;
    } catch (error) {
      this.keysError = ipc.toIpcError(error);
    }
  }

  /** Runs a key action and reloads the list; the error lands on the keys panel. */
  async keyAction(action: () => Promise<unknown>): Promise<boolean> {
    this.keysError = null;
    try {
      await action();
    } catch (error) {
      this.keysError = ipc.toIpcError(error);
      return false;
    }
    await this.loadKeys();
    return true;
  }

  createKey(input: ApiKeyInput): Promise<boolean> {
    return this.keyAction(() => ipc.createApiKey(input));
  }

  updateKey(id: number, input: ApiKeyInput): Promise<boolean> {
    return this.keyAction(() => ipc.updateApiKey(id, input));
  }

  setEnabled(id: number, enabled: boolean): Promise<boolean> {
    return this.keyAction(() => ipc.setApiKeyEnabled(id, enabled));
  }

  deleteKey(id: number): Promise<boolean> {
    return this.keyAction(() => ipc.deleteApiKey(id));
  }

  /** Switches the app to this key, then shows what the new key can read. */
  async useKey(id: number): Promise<boolean> {
    const ok = await this.keyAction(async () => app.setProfile(await ipc.useApiKey(id)));
    if (ok) await this.loadOverview();
    return ok;
  }

  /** Redeems a code; a refusal is returned for the panel to explain. */
  async redeem(code: string): Promise<Redeemed | IpcError> {
    try {
      const redeemed = await ipc.redeemCode(code);
      await Promise.all([this.loadAccount(), this.loadOverview()]);
      return redeemed;
    } catch (error) {
      return ipc.toIpcError(error);
    }
  }
}

export const account = new AccountState();
