import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { ModerationVerdict } from '../bindings/ModerationVerdict';
import { setLanguage } from '../i18n/language.svelte';
import * as ipc from '../ipc';
import ModerationDialog from './ModerationDialog.svelte';
import { moderation } from './moderation.svelte';

vi.mock('../ipc', async (importOriginal) => {
  const real = await importOriginal<typeof import('../ipc')>();
  return { ...real, checkPrompt: vi.fn(), sendAnyway: vi.fn() };
});

const FLAGGED: ModerationVerdict = {
  flagged: true,
  model: 'omni-moderation-latest',
  categories: [
    { name: 'harassment', score: 0.12, flagged: false },
    { name: 'violence/graphic', score: 0.91, flagged: true },
    { name: 'self-harm', score: 0.02, flagged: false },
  ],
};

/** The dialog as App mounts it, while a prompt waits. */
async function dialogFor(text: string): Promise<{ decision: Promise<boolean> }> {
  const decision = moderation.clear(text);
  await waitFor(() => expect(moderation.flagged).not.toBeNull());
  render(ModerationDialog, { flagged: moderation.flagged! });
  return { decision };
}

describe('moderation gate', () => {
  beforeEach(() => {
    setLanguage('en');
    vi.mocked(ipc.checkPrompt).mockReset();
    vi.mocked(ipc.sendAnyway).mockReset().mockResolvedValue(null);
  });

  it('lets a prompt through when the check is off, passes, or cannot run', async () => {
    vi.mocked(ipc.checkPrompt).mockResolvedValueOnce(null);
    expect(await moderation.clear('a lighthouse')).toBe(true);
    vi.mocked(ipc.checkPrompt).mockResolvedValueOnce({ ...FLAGGED, flagged: false });
    expect(await moderation.clear('a lighthouse')).toBe(true);
    vi.mocked(ipc.checkPrompt).mockRejectedValueOnce({ code: 'network', message: 'offline' });
    expect(await moderation.clear('a lighthouse')).toBe(true);
    expect(moderation.flagged).toBeNull();
    expect(ipc.sendAnyway).not.toHaveBeenCalled();
  });

  it('shows the flagged categories with scores, flagged first', async () => {
    vi.mocked(ipc.checkPrompt).mockResolvedValue(FLAGGED);
    const { decision } = await dialogFor('a violent scene');
    expect(screen.getByTestId('moderation-prompt').textContent).toBe('a violent scene');
    const rows = screen.getByTestId('moderation-categories').querySelectorAll('li');
    expect(rows[0].textContent).toContain('Violence graphic');
    expect(rows[0].textContent).toContain('0.91');
    expect(rows[0].classList.contains('flagged')).toBe(true);
    expect(rows[1].textContent).toContain('Harassment');
    await fireEvent.click(screen.getByTestId('moderation-edit'));
    expect(await decision).toBe(false);
    expect(ipc.sendAnyway).not.toHaveBeenCalled();
    expect(moderation.flagged).toBeNull();
  });

  it('"Send anyway" clears the prompt for its next send and lets it go', async () => {
    vi.mocked(ipc.checkPrompt).mockResolvedValue(FLAGGED);
    const { decision } = await dialogFor('a violent scene');
    await fireEvent.click(screen.getByTestId('moderation-send'));
    expect(await decision).toBe(true);
    expect(ipc.sendAnyway).toHaveBeenCalledWith('a violent scene');
  });

  it('Escape means edit, not send', async () => {
    vi.mocked(ipc.checkPrompt).mockResolvedValue(FLAGGED);
    const { decision } = await dialogFor('a violent scene');
    await fireEvent.keyDown(screen.getByTestId('moderation-dialog'), { key: 'Escape' });
    expect(await decision).toBe(false);
  });
});
