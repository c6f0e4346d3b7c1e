import { render, screen, waitFor } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { appInfo, realProfile } from '../../test/fixtures';
import { app } from '../app.svelte';
import type { AccountSummary } from '../bindings/AccountSummary';
import type { ApiKey } from '../bindings/ApiKey';
import type { KeyOverview } from '../bindings/KeyOverview';
import type { LogPage } from '../bindings/LogPage';
import type { Spending } from '../bindings/Spending';
import { setLanguage } from '../i18n/language.svelte';
import * as ipc from '../ipc';
import { account } from './account.svelte';
import AccountView from './AccountView.svelte';
import BalanceChip from './BalanceChip.svelte';
import { bars, labelStride, niceMax } from './chart';
import { toInput } from './keys';
import { balanceWarning, dayBounds, formatMoney } from './money';

vi.mock('../ipc', async (importOriginal) => {
  const real = await importOriginal<typeof import('../ipc')>();
  return {
    ...real,
    keyOverview: vi.fn(),
    accountCredentials: vi.fn(),
    saveAccountCredentials: vi.fn(),
    forgetAccountCredentials: vi.fn(),
    accountSummary: vi.fn(),
    usageLogs: vi.fn(),
    spending: vi.fn(),
    apiKeys: vi.fn(),
    createApiKey: vi.fn(),
    useApiKey: vi.fn(),
    redeemCode: vi.fn(),
  };
});

const overview = (available: number, extra: Partial<KeyOverview['key']> = {}): KeyOverview => ({
  key: {
    name: 'demo key',
    balance: { total: 100, used: 100 - available, available, unlimited: false, currency: 'USD' },
    expires_at: null,
    expired: false,
    model_limits: [],
    ...extra,
  },
  calls: [{ created_at: 1_709_251_200, model: 'gpt-4o-mini', prompt_tokens: 10, completion_tokens: 5, cost: 0.0078 }],
  currency: 'USD',
});

const summary: AccountSummary = {
  user_id: 1,
  username: 'demo',
  display_name: 'Demo User',
  group: 'default',
  balance: 150.25,
  used: 49.75,
  request_count: 42,
  currency: 'USD',
};

const key = (id: number, extra: Partial<ApiKey> = {}): ApiKey => ({
  id,
  name: `key ${id}`,
  masked_key: 'sk-abcd**********wxyz',
  status: 'enabled',
  created_at: 1_709_251_200,
  expires_at: null,
  remaining: 5,
  used: 1,
  model_limits: [],
  in_use: id === 1,
  ...extra,
});

const logs = (page: number): LogPage => ({
  items: [
    { id: page * 10, created_at: 1_709_251_200, kind: 'consume', model: 'gpt-4o-mini', key_name: 'demo key', prompt_tokens: 3, completion_tokens: 4, cost: 0.01, content: '' },
  ],
  total: 25,
  page,
  page_size: 10,
  spent: 1.5,
  currency: 'USD',
});

const spending: Spending = {
  days: [
    { date: '2024-03-01', amount: 0, requests: 0 },
    { date: '2024-03-02', amount: 1.2, requests: 3 },
  ],
  models: [{ model: 'gpt-image-1', amount: 1.2, requests: 3, tokens: 100 }],
  total: 1.2,
  currency: 'USD',
};

beforeEach(() => {
  vi.resetAllMocks();
  setLanguage('en');
  app.info = appInfo({ profile: realProfile });
  account.overview = null;
  account.summary = null;
  account.logs = null;
  account.keys = null;
  account.accountOffered = true;
  account.accountError = null;
  vi.mocked(ipc.keyOverview).mockResolvedValue(overview(60));
  vi.mocked(ipc.accountCredentials).mockResolvedValue({ configured: true, user_id: 1, source: 'keychain' });
  vi.mocked(ipc.accountSummary).mockResolvedValue(summary);
  vi.mocked(ipc.usageLogs).mockImplementation(async (query) => logs(query.page));
  vi.mocked(ipc.spending).mockResolvedValue(spending);
  vi.mocked(ipc.apiKeys).mockResolvedValue({ keys: [key(1), key(2)], currency: 'USD' });
});

describe('money and warnings', () => {
  it('formats in the platform’s unit, never converting', () => {
    expect(formatMoney(12.345, 'USD')).toBe('$12.35');
    expect(formatMoney(3, 'CNY')).toBe('¥3.00');
    expect(formatMoney(1500.4, 'tokens')).toBe('1,500 tokens');
    expect(formatMoney(0.0078, 'USD')).toBe('$0.0078');
    expect(formatMoney(2, '€')).toBe('€2.00');
  });

  it('warns for an expired key, an empty one and under a tenth left', () => {
    expect(balanceWarning(overview(60).key)).toBeNull();
    expect(balanceWarning(overview(9).key)).toBe('low');
    expect(balanceWarning(overview(0).key)).toBe('empty');
    expect(balanceWarning(overview(60, { expired: true }).key)).toBe('expired');
    const unlimited = overview(0).key!;
    unlimited.balance.unlimited = true;
    expect(balanceWarning(unlimited)).toBeNull();
  });

  it('reads dates as the viewer’s whole day', () => {
    const day = dayBounds('2024-03-01')!;
    expect(day.end - day.start).toBe(86_399);
    expect(dayBounds('yesterday')).toBeNull();
  });

  it('turns the key form into what the core takes', () => {
    expect(toInput({ name: ' ', quota: '', expires: '', models: '' })).toBeNull();
    expect(toInput({ name: 'a', quota: '-1', expires: '', models: '' })).toBeNull();
    expect(toInput({ name: 'ci', quota: '', expires: '', models: 'a, ,b' })).toEqual({
      name: 'ci',
      quota: null,
      expires_at: null,
      model_limits: ['a', 'b'],
    });
    expect(toInput({ name: 'ci', quota: '2,5', expires: '', models: '' })?.quota).toBe(2.5);
  });
});

describe('chart geometry', () => {
  it('rounds the axis up and scales bars to it', () => {
    expect(niceMax(0)).toBe(1);
    expect(niceMax(3.2)).toBe(5);
    expect(niceMax(12)).toBe(20);
    const b = bars([0, 5, 10], 300, 100);
    expect(b[0].height).toBe(0);
    expect(b[2].height).toBe(100);
    expect(b[1].y).toBe(50);
    expect(labelStride(30, 440)).toBe(3);
  });
});

describe('AccountView', () => {
  it('shows the key, the account, spending, keys and paged logs', async () => {
    render(AccountView);
    expect(await screen.findByTestId('account-balance')).toHaveTextContent('$150.25');
    expect(screen.getByTestId('key-balance')).toHaveTextContent('$60.00');
    expect(screen.getByTestId('account-requests')).toHaveTextContent('42');
    expect(screen.getByTestId('spending-chart')).toBeInTheDocument();
    expect(screen.getByTestId('key-in-use')).toBeInTheDocument();
    expect(screen.getByTestId('logs-page')).toHaveTextContent('Page 1 of 3');
    await userEvent.click(screen.getByTestId('logs-next'));
    await waitFor(() => expect(screen.getByTestId('logs-page')).toHaveTextContent('Page 2 of 3'));
    expect(vi.mocked(ipc.usageLogs).mock.lastCall?.[0]).toMatchObject({ page: 2, page_size: 10 });
  });

  it('asks for the access token and user id, and shows a refusal as an error', async () => {
    vi.mocked(ipc.accountCredentials).mockResolvedValue({ configured: false, user_id: null, source: 'none' });
    vi.mocked(ipc.saveAccountCredentials).mockRejectedValue({
      code: 'user_id_mismatch',
      message: 'The user id does not belong to this access token.',
      request_id: null,
    });
    render(AccountView);
    await userEvent.type(await screen.findByTestId('access-token-input'), 'tok');
    await userEvent.type(screen.getByTestId('user-id-input'), '7');
    await userEvent.click(screen.getByTestId('account-sign-in'));
    expect(await screen.findByTestId('account-error')).toHaveAttribute('data-code', 'user_id_mismatch');
    expect(vi.mocked(ipc.saveAccountCredentials)).toHaveBeenCalledWith({ access_token: 'tok', user_id: 7, storage: 'keychain' });
  });

  it('hides the account panels where the platform has no account API', async () => {
    vi.mocked(ipc.accountSummary).mockResolvedValue(null);
    vi.mocked(ipc.keyOverview).mockResolvedValue({ key: null, calls: null, currency: 'USD' });
    render(AccountView);
    await waitFor(() => expect(ipc.accountSummary).toHaveBeenCalled());
    expect(screen.queryByTestId('account-panel')).not.toBeInTheDocument();
    expect(screen.queryByTestId('key-panel')).not.toBeInTheDocument();
    expect(screen.queryByRole('alert')).not.toBeInTheDocument();
  });

  it('explains a refused redeem code kindly', async () => {
    vi.mocked(ipc.redeemCode).mockRejectedValue({ code: 'redeem_refused', message: 'x', request_id: null });
    render(AccountView);
    await userEvent.type(await screen.findByTestId('redeem-input'), 'NOPE');
    await userEvent.click(screen.getByTestId('redeem-submit'));
    expect(await screen.findByTestId('redeem-error')).toHaveTextContent('The platform does not say why');
  });

  it('switches the app to another key', async () => {
    vi.mocked(ipc.useApiKey).mockResolvedValue({ ...realProfile, key_hint: 'sk-…wxyz' });
    render(AccountView);
    await userEvent.click(await screen.findByTestId('key-use-2'));
    await waitFor(() => expect(ipc.useApiKey).toHaveBeenCalledWith(2));
    expect(app.profile?.key_hint).toBe('sk-…wxyz');
  });
});

describe('BalanceChip', () => {
  it('shows the balance, and a warning when it runs low', async () => {
    render(BalanceChip);
    expect(await screen.findByTestId('topbar-balance')).toHaveTextContent('Balance $60.00');
    account.overview = overview(4);
    expect(await screen.findByTestId('low-balance-warning')).toHaveTextContent('Low balance: $4.00');
  });
});
