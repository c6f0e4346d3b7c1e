// The Listen half: an audio file (dropped, picked or recorded), the transcription options,
// the transcript on screen, and the transcripts kept before. Also chat's dictation, which
// records and transcribes with the same choices.
import type { AssetView } from '../bindings/AssetView';
import type { GalleryItem } from '../bindings/GalleryItem';
import type { IpcError } from '../bindings/IpcError';
import type { Transcript } from '../bindings/Transcript';
import type { TranscriptFormat } from '../bindings/TranscriptFormat';
import type { TranscriptionRequest } from '../bindings/TranscriptionRequest';
import * as ipc from '../ipc';
import { filterFor, microphone, pickModel, remember, remembered, speechModels } from './speech.svelte';

export const TRANSCRIPT_FORMATS: readonly TranscriptFormat[] = ['text', 'json', 'verbose', 'srt', 'vtt'];
/** What a transcript can be saved as. */
export const EXPORT_FORMATS: readonly TranscriptFormat[] = ['text', 'srt', 'vtt', 'json'];
const HISTORY_PAGE = 30;

const KEYS = {
  model: 'nexhina.listen.model',
  language: 'nexhina.listen.language',
  format: 'nexhina.listen.format',
};

function savedFormat(): TranscriptFormat {
  const saved = remembered(KEYS.format);
  return (TRANSCRIPT_FORMATS as readonly string[]).includes(saved ?? '') ? (saved as TranscriptFormat) : 'verbose';
}

/** `00:01.250` style stamps for a segment list. */
export function stamp(seconds: number): string {
  const ms = Math.max(0, Math.round(seconds * 1000));
  const m = Math.floor(ms / 60_000);
  const s = Math.floor((ms % 60_000) / 1000);
  const rest = ms % 1000;
  return `${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}.${String(rest).padStart(3, '0')}`;
}

/** Inserts `text` into `value` at the selection, with a space where words would touch. */
export function insertAt(value: string, start: number, end: number, text: string): { value: string; caret: number } {
  const before = value.slice(0, start);
  const after = value.slice(end);
  const lead = before !== '' && !/\s$/.test(before) ? ' ' : '';
  const trail = after !== '' && !/^\s/.test(after) ? ' ' : '';
  const inserted = `${lead}${text.trim()}${trail}`;
  return { value: before + inserted + after, caret: before.length + inserted.length };
}

export class Listener {
  model = $state<string | null>(remembered(KEYS.model));
  language = $state(remembered(KEYS.language) ?? '');
  prompt = $state('');
  format = $state<TranscriptFormat>(savedFormat());
  translate = $state(false);

  input = $state<AssetView | null>(null);
  /** The name the file was chosen by (the store keeps the first name of identical bytes). */
  inputName = $state<string | null>(null);
  attaching = $state(false);
  inputError = $state<IpcError | null>(null);

  transcribing = $state(false);
  transcript = $state<Transcript | null>(null);
  /** The file's name or "Recording", as the history lists it. */
  title = $state<string | null>(null);
  error = $state<IpcError | null>(null);
  exported = $state<string | null>(null);
  copied = $state(false);

  history = $state<GalleryItem[]>([]);
  historyLoaded = $state(false);
  historyError = $state<IpcError | null>(null);

  reset(): void {
    this.model = null;
    this.language = '';
    this.prompt = '';
    this.format = 'verbose';
    this.translate = false;
    this.input = null;
    this.inputName = null;
    this.attaching = false;
    this.inputError = null;
    this.transcribing = false;
    this.transcript = null;
    this.title = null;
    this.error = null;
    this.exported = null;
    this.copied = false;
    this.history = [];
    this.historyLoaded = false;
    this.historyError = null;
  }

  settleModel(): void {
    const picked = pickModel(speechModels.stt, remembered(KEYS.model), this.model, speechModels.loaded && !speechModels.error);
    if (picked !== this.model) this.model = picked;
  }

  setModel(model: string | null): void {
    this.model = model;
    if (model) remember(KEYS.model, model);
  }

  setLanguage(language: string): void {
    this.language = language;
    remember(KEYS.language, language.trim());
  }

  setFormat(format: TranscriptFormat): void {
    this.format = format;
    remember(KEYS.format, format);
  }

  /** Keeps the audio on the device (checked to be audio) and makes it the input. */
  async attach(load: () => Promise<AssetView>, name: string | null = null): Promise<boolean> {
    this.attaching = true;
    this.inputError = null;
    try {
      this.input = await load();
      this.inputName = name ?? this.input.original_name;
      return true;
    } catch (error) {
      this.inputError = ipc.toIpcError(error);
      return false;
    } finally {
      this.attaching = false;
    }
  }

  async startRecording(): Promise<void> {
    this.inputError = null;
    try {
      await microphone.start('listen');
    } catch (error) {
      this.inputError = ipc.toIpcError(error);
    }
  }

  async stopRecording(): Promise<void> {
    await this.attach(() => microphone.stop());
  }

  clearInput(): void {
    this.input = null;
    this.inputName = null;
    this.inputError = null;
  }

  request(format: TranscriptFormat = this.format): TranscriptionRequest | null {
    if (!this.input) return null;
    const language = this.language.trim();
    const prompt = this.prompt.trim();
    return {
      asset_id: this.input.id,
      model: this.model,
      language: this.translate || language === '' ? null : language,
      prompt: prompt === '' ? null : prompt,
      format,
      translate: this.translate,
    };
  }

  async transcribe(): Promise<boolean> {
    const request = this.request();
    if (!request || this.transcribing) return false;
    this.transcribing = true;
    this.error = null;
    this.exported = null;
    try {
      this.transcript = await ipc.transcribe(request);
      this.title = this.inputName;
      void this.loadHistory();
      return true;
    } catch (error) {
      this.error = ipc.toIpcError(error);
      return false;
    } finally {
      this.transcribing = false;
    }
  }

  /** A transcript kept before, read from the library (works offline). */
  async open(item: GalleryItem): Promise<void> {
    this.error = null;
    this.exported = null;
    try {
      this.transcript = await ipc.getTranscript(item.id);
      this.title = item.prompt;
    } catch (error) {
      this.error = ipc.toIpcError(error);
    }
  }

  async export(format: TranscriptFormat): Promise<void> {
    if (!this.transcript) return;
    this.error = null;
    this.exported = null;
    try {
      this.exported = await ipc.exportTranscript(this.transcript.generation_id, format);
    } catch (error) {
      this.error = ipc.toIpcError(error);
    }
  }

  /** Past transcripts and translations, newest first. */
  async loadHistory(): Promise<void> {
    this.historyError = null;
    try {
      const pages = await Promise.all([
        ipc.listGallery(filterFor('transcription'), null, HISTORY_PAGE),
        ipc.listGallery(filterFor('translation'), null, HISTORY_PAGE),
      ]);
      this.history = pages
        .flatMap((page) => page.items)
        .filter((item) => item.status === 'complete')
        .sort((a, b) => b.created_at - a.created_at || b.id - a.id)
        .slice(0, HISTORY_PAGE);
    } catch (error) {
      this.historyError = ipc.toIpcError(error);
    } finally {
      this.historyLoaded = true;
    }
  }

  async remove(id: number): Promise<void> {
    this.historyError = null;
    try {
      await ipc.deleteGeneration(id);
      this.history = this.history.filter((item) => item.id !== id);
      if (this.transcript?.generation_id === id) this.transcript = null;
    } catch (error) {
      this.historyError = ipc.toIpcError(error);
    }
  }
}

export type DictationPhase = 'idle' | 'starting' | 'recording' | 'transcribing';

/** Chat's dictation: record, then transcribe with Listen's model and language. */
export class Dictation {
  phase = $state<DictationPhase>('idle');
  error = $state<IpcError | null>(null);

  reset(): void {
    this.phase = 'idle';
    this.error = null;
  }

  /** Starts recording, or stops and resolves to the text heard (null when nothing came of it). */
  async toggle(): Promise<string | null> {
    if (this.phase === 'idle') {
      await this.start();
      return null;
    }
    if (this.phase === 'recording') return this.finish();
    return null;
  }

  async start(): Promise<void> {
    this.error = null;
    this.phase = 'starting';
    try {
      await microphone.start('dictation');
      this.phase = 'recording';
    } catch (error) {
      this.error = ipc.toIpcError(error);
      this.phase = 'idle';
    }
  }

  async finish(): Promise<string | null> {
    this.phase = 'transcribing';
    try {
      const recording = await microphone.stop();
      await speechModels.load();
      listener.settleModel();
      const language = listener.language.trim();
      const transcript = await ipc.transcribe({
        asset_id: recording.id,
        model: listener.model,
        language: language === '' ? null : language,
        prompt: null,
        format: 'json',
        translate: false,
      });
      return transcript.text.trim() === '' ? null : transcript.text.trim();
    } catch (error) {
      this.error = ipc.toIpcError(error);
      return null;
    } finally {
      this.phase = 'idle';
    }
  }

  async cancel(): Promise<void> {
    if (this.phase !== 'recording') return;
    await microphone.cancel();
    this.phase = 'idle';
  }
}

export const listener = new Listener();
export const dictation = new Dictation();
