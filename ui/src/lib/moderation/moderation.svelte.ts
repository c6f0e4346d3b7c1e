import * as ipc from '../ipc';
import type { ModerationVerdict } from '../bindings/ModerationVerdict';

/** A flagged prompt waiting for the user's decision. */
export interface FlaggedPrompt {
  text: string;
  verdict: ModerationVerdict;
}

/**
 * The moderation pre-check before a prompt leaves (chat, image, video, speech). With the
 * check off this is one quick settings read; with it on, a flagged prompt opens the
 * dialog and waits for "Send anyway" or "Edit prompt".
 */
class ModerationGate {
  flagged = $state<FlaggedPrompt | null>(null);
  private decide: ((send: boolean) => void) | null = null;

  /**
   * True when the prompt may be sent. A check that cannot run (offline, a gateway
   * without moderation) lets it through: the send itself then reports the failure.
   */
  async clear(text: string): Promise<boolean> {
    let verdict: ModerationVerdict | null;
    try {
      verdict = await ipc.checkPrompt(text);
    } catch {
      return true;
    }
    if (!verdict?.flagged) return true;
    this.decide?.(false);
    const send = await new Promise<boolean>((resolve) => {
      this.decide = resolve;
      this.flagged = { text, verdict };
    });
    if (send) await ipc.sendAnyway(text);
    return send;
  }

  /** The user's answer in the dialog. */
  answer(send: boolean): void {
    const decide = this.decide;
    this.decide = null;
    this.flagged = null;
    decide?.(send);
  }
}

export const moderation = new ModerationGate();
