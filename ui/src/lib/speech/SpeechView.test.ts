import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { models } from '../../test/fixtures';
import type { GalleryFilter } from '../bindings/GalleryFilter';
import type { GalleryItem } from '../bindings/GalleryItem';
import type { GenerationEvent } from '../bindings/GenerationEvent';
import type { PlaybackState } from '../bindings/PlaybackState';
import type { Transcript } from '../bindings/Transcript';
import { setLanguage } from '../i18n/language.svelte';
import * as ipc from '../ipc';
import DictateButton from './DictateButton.svelte';
import { dictation, insertAt, listener, stamp } from './listen.svelte';
import ReadAloudButton from './ReadAloudButton.svelte';
import { clampSpeed, formatTime, library, pickModel, player, readAloudChoice, resetSpeech, speakForm } from './speech.svelte';
import SpeechView from './SpeechView.svelte';
import { clearWaveforms, peaks, waveformOf } from './waveform';

vi.mock('../ipc', async (importOriginal) => {
  const real = await importOriginal<typeof import('../ipc')>();
  return {
    ...real,
    listModels: vi.fn(),
    listGallery: vi.fn(),
    getGeneration: vi.fn(),
    deleteGeneration: vi.fn(),
    speak: vi.fn(),
    readAloud: vi.fn(),
    playClip: vi.fn(),
    pausePlayback: vi.fn(),
    resumePlayback: vi.fn(),
    stopPlayback: vi.fn(),
    seekPlayback: vi.fn(),
    playbackState: vi.fn(),
    audioFile: vi.fn(),
    attachAudioFile: vi.fn(),
    attachAudioBytes: vi.fn(),
    startRecording: vi.fn(),
    stopRecording: vi.fn(),
    cancelRecording: vi.fn(),
    transcribe: vi.fn(),
    getTranscript: vi.fn(),
    exportSpeech: vi.fn(),
    exportTranscript: vi.fn(),
    onPlaybackState: vi.fn(),
    onPlaybackError: vi.fn(),
    onRecordingLevel: vi.fn(),
    onFileDrop: vi.fn(async () => () => {}),
  };
});

const IDLE: PlaybackState = { clip_id: null, playing: false, paused: false, position_ms: 0, duration_ms: null };

function clip(id: number, overrides: Partial<GalleryItem> = {}): GalleryItem {
  return {
    id,
    kind: 'speech',
    model: 'tts-1',
    prompt: `Clip number ${id}`,
    status: 'complete',
    progress: 100,
    error: null,
    favourite: false,
    rating: null,
    outputs: 1,
    thumbnail_path: null,
    file_path: `/media/${id}.mp3`,
    width: null,
    height: null,
    created_at: 1_700_000_000_000 + id,
    duration_ms: 2460,
    ...overrides,
  };
}

const transcript: Transcript = {
  generation_id: 40,
  text: 'Hello from the Nexhina demo platform.',
  language: 'english',
  duration: 2.46,
  segments: [
    { start: 0, end: 1.23, text: 'Hello from the' },
    { start: 1.23, end: 2.46, text: 'Nexhina demo platform.' },
  ],
  raw: null,
};

/** The global events, handed to the test by the mocked listeners. */
let emitState: (state: PlaybackState) => void = () => {};
let emitError: (error: ipc.IpcError) => void = () => {};
let emitLevel: (level: ipc.RecordingLevel) => void = () => {};

let clips: GalleryItem[] = [];
let transcripts: GalleryItem[] = [];

beforeEach(() => {
  vi.clearAllMocks();
  localStorage.clear();
  setLanguage('en');
  resetSpeech();
  listener.reset();
  dictation.reset();
  clearWaveforms();
  clips = [clip(2), clip(1, { prompt: 'An older clip', model: 'tts-1-hd' })];
  transcripts = [];
  vi.mocked(ipc.listModels).mockResolvedValue(models);
  vi.mocked(ipc.listGallery).mockImplementation(async (filter: GalleryFilter) => ({
    items: filter.kind === 'speech' ? clips : filter.kind === 'transcription' ? transcripts : [],
    next_cursor: null,
  }));
  vi.mocked(ipc.getGeneration).mockImplementation(async (id: number) => ({
    id,
    kind: 'speech',
    model: 'tts-1',
    prompt: '',
    revised_prompt: null,
    params: { voice: id === 1 ? 'nova' : 'alloy', format: 'mp3' },
    status: 'complete',
    progress: 100,
    error: null,
    favourite: false,
    rating: null,
    outputs: [],
    inputs: [],
    parent_generation_id: null,
    usage: null,
    created_at: 0,
    completed_at: null,
  }));
  vi.mocked(ipc.playbackState).mockResolvedValue(IDLE);
  vi.mocked(ipc.onPlaybackState).mockImplementation(async (handler) => {
    emitState = handler;
    return () => {};
  });
  vi.mocked(ipc.onPlaybackError).mockImplementation(async (handler) => {
    emitError = handler;
    return () => {};
  });
  vi.mocked(ipc.onRecordingLevel).mockImplementation(async (handler) => {
    emitLevel = handler;
    return () => {};
  });
  // jsdom decodes no audio: the bar shows without a waveform.
  vi.mocked(ipc.audioFile).mockRejectedValue({ code: 'internal', message: 'no', request_id: null });
});

describe('speech helpers', () => {
  it('formats times and stamps', () => {
    expect(formatTime(0)).toBe('0:00');
    expect(formatTime(2460)).toBe('0:02');
    expect(formatTime(61_000)).toBe('1:01');
    expect(formatTime(3_725_000)).toBe('1:02:05');
    expect(stamp(1.25)).toBe('00:01.250');
  });

  it('keeps the speed in range, in hundredths', () => {
    expect(clampSpeed(0.1)).toBe(0.25);
    expect(clampSpeed(9)).toBe(4);
    expect(clampSpeed(1.234)).toBe(1.23);
  });

  it('picks the remembered model only when the list still has it', () => {
    expect(pickModel(['tts-1', 'tts-1-hd'], 'tts-1-hd', null, true)).toBe('tts-1-hd');
    expect(pickModel(['tts-1'], 'gone', null, true)).toBe('tts-1');
    expect(pickModel([], 'gone', null, false)).toBe('gone');
    expect(pickModel([], null, null, true)).toBeNull();
  });

  it('inserts dictated text at the cursor with spaces where words would touch', () => {
    expect(insertAt('', 0, 0, ' Hello. ')).toEqual({ value: 'Hello.', caret: 6 });
    expect(insertAt('Note:', 5, 5, 'Hello.')).toEqual({ value: 'Note: Hello.', caret: 12 });
    expect(insertAt('Note: end', 0, 0, 'Hi.')).toEqual({ value: 'Hi. Note: end', caret: 4 });
    expect(insertAt('a XX b', 2, 4, 'word')).toEqual({ value: 'a word b', caret: 6 });
  });

  it('computes peaks scaled to the loudest slice', () => {
    const samples = new Float32Array([0, 0.125, -0.5, 0.25, 0, 0, 0.25, -0.0625]);
    expect(peaks(samples, 4)).toEqual([0.25, 1, 0, 0.5]);
    expect(peaks(new Float32Array(0), 3)).toEqual([0, 0, 0]);
  });

  it('decodes every part of a clip for its waveform, and gives up quietly', async () => {
    vi.mocked(ipc.audioFile).mockResolvedValue(new ArrayBuffer(8));
    const decode = vi.fn(async () => new Float32Array([0.5, -1]));
    expect(await waveformOf(7, 2, decode)).toHaveLength(180);
    expect(ipc.audioFile).toHaveBeenCalledWith(7, 1);
    expect(await waveformOf(8, 1, async () => Promise.reject(new Error('opus')))).toBeNull();
    expect(await waveformOf(9, 1, null)).toBeNull();
  });
});

describe('SpeechView', () => {
  it('lists kept clips with voice, model and duration, offline', async () => {
    render(SpeechView);
    const rows = await screen.findAllByTestId('speech-clip');
    expect(rows).toHaveLength(2);
    expect(within(rows[1]).getByText('An older clip')).toBeInTheDocument();
    await waitFor(() => expect(within(rows[1]).getByTestId('speech-clip-voice')).toHaveTextContent('nova'));
    expect(within(rows[1]).getByText('tts-1-hd')).toBeInTheDocument();
    expect(within(rows[0]).getByTestId('speech-clip-duration')).toHaveTextContent('0:02');
    // The form settles on the platform's TTS model.
    await waitFor(() => expect(screen.getByTestId<HTMLSelectElement>('speech-model').value).toBe('tts-1'));
  });

  it('speaks with the chosen options and plays at once; the clip tops the library', async () => {
    const user = userEvent.setup();
    let onEvent: ipc.GenerationHandler = () => {};
    vi.mocked(ipc.speak).mockImplementation(async (_request, _play, handler) => {
      onEvent = handler;
      return clip(3, { prompt: 'Good morning.', status: 'running', progress: 0, duration_ms: null });
    });
    render(SpeechView);
    await waitFor(() => expect(screen.getByTestId<HTMLSelectElement>('speech-model').value).toBe('tts-1'));
    await user.type(screen.getByTestId('speech-text'), 'Good morning.');
    await fireEvent.change(screen.getByTestId('speech-voice'), { target: { value: 'nova' } });
    await fireEvent.change(screen.getByTestId('speech-format'), { target: { value: 'wav' } });
    await fireEvent.input(screen.getByTestId('speech-speed'), { target: { value: '1.5' } });
    await user.click(screen.getByTestId('speech-speak-button'));
    expect(ipc.speak).toHaveBeenCalledWith(
      { model: 'tts-1', text: 'Good morning.', voice: 'nova', format: 'wav', speed: 1.5, instructions: null },
      true,
      expect.any(Function),
    );
    const rows = await screen.findAllByTestId('speech-clip');
    expect(rows[0]).toHaveAttribute('data-status', 'running');
    // The choices are remembered for the next time (and for chat's Read aloud).
    expect(localStorage.getItem('nexhina.speech.voice')).toBe('nova');
    clips = [clip(3, { prompt: 'Good morning.' }), ...clips];
    onEvent({ kind: 'finished', id: 3, status: 'complete', error: null, code: null } satisfies GenerationEvent);
    await waitFor(() => expect(screen.getAllByTestId('speech-clip')[0]).toHaveAttribute('data-status', 'ready'));
  });

  it('asks for text before speaking', async () => {
    const user = userEvent.setup();
    render(SpeechView);
    await user.click(await screen.findByTestId('speech-speak-button'));
    expect(await screen.findByTestId('speech-form-error')).toHaveTextContent('Type something to speak first.');
    expect(ipc.speak).not.toHaveBeenCalled();
  });

  it('follows the player: progress, pause, resume, seek and stop', async () => {
    const user = userEvent.setup();
    vi.mocked(ipc.playClip).mockResolvedValue({ clip_id: 2, playing: true, paused: false, position_ms: 0, duration_ms: 2460 });
    render(SpeechView);
    const rows = await screen.findAllByTestId('speech-clip');
    await user.click(within(rows[0]).getByTestId('speech-clip-play'));
    expect(ipc.playClip).toHaveBeenCalledWith(2);
    emitState({ clip_id: 2, playing: true, paused: false, position_ms: 1200, duration_ms: 2460 });
    const bar = screen.getByTestId('speech-player');
    await waitFor(() => expect(bar).toHaveAttribute('data-position-ms', '1200'));
    expect(screen.getByTestId('speech-time')).toHaveTextContent('0:01 / 0:02');
    await user.click(screen.getByTestId('speech-play'));
    expect(ipc.pausePlayback).toHaveBeenCalled();
    expect(bar).toHaveAttribute('data-paused', 'true');
    await user.click(screen.getByTestId('speech-play'));
    expect(ipc.resumePlayback).toHaveBeenCalled();
    await fireEvent.change(screen.getByTestId('speech-seek'), { target: { value: '2000' } });
    expect(ipc.seekPlayback).toHaveBeenCalledWith(2000);
    await user.click(screen.getByTestId('speech-stop'));
    expect(ipc.stopPlayback).toHaveBeenCalled();
    // Ended: the button plays the clip from the start again.
    emitState({ clip_id: 2, playing: false, paused: false, position_ms: 2460, duration_ms: 2460 });
    await user.click(screen.getByTestId('speech-play'));
    expect(ipc.playClip).toHaveBeenCalledTimes(2);
  });

  it('says clearly when there is no sound output, and keeps the clip', async () => {
    render(SpeechView);
    await screen.findAllByTestId('speech-clip');
    emitError({ code: 'not_supported', message: 'No sound output is available (no audio device or sound server).', request_id: null });
    const error = await screen.findByTestId('speech-playback-error');
    expect(error).toHaveTextContent('No sound output');
    expect(screen.getAllByTestId('speech-clip')).toHaveLength(2);
  });

  it('exports and deletes clips', async () => {
    const user = userEvent.setup();
    vi.mocked(ipc.exportSpeech).mockResolvedValue('/home/me/Downloads/Clip number 2.mp3');
    render(SpeechView);
    const rows = await screen.findAllByTestId('speech-clip');
    await user.click(within(rows[0]).getByTestId('speech-clip-export'));
    expect(await screen.findByTestId('speech-exported')).toHaveTextContent('Downloads/Clip number 2.mp3');
    await user.click(within(rows[0]).getByTestId('speech-clip-delete'));
    await user.click(within(rows[0]).getByTestId('speech-clip-confirm-delete'));
    expect(ipc.deleteGeneration).toHaveBeenCalledWith(2);
    await waitFor(() => expect(screen.getAllByTestId('speech-clip')).toHaveLength(1));
  });

  it('transcribes a picked file with the chosen options and shows the segments', async () => {
    const user = userEvent.setup();
    vi.mocked(ipc.attachAudioBytes).mockResolvedValue({
      id: 11,
      sha256: 'ab',
      mime: 'audio/wav',
      size_bytes: 118_000,
      width: null,
      height: null,
      path: '/media/ab.wav',
      thumbnail_path: null,
      original_name: 'note.wav',
    });
    vi.mocked(ipc.transcribe).mockResolvedValue(transcript);
    vi.mocked(ipc.exportTranscript).mockResolvedValue('/home/me/Downloads/note.srt');
    render(SpeechView);
    const file = new File([new Uint8Array([82, 73, 70, 70])], 'note.wav', { type: 'audio/wav' });
    await user.upload(screen.getByTestId('speech-file-input'), file);
    expect(await screen.findByTestId('speech-input')).toHaveTextContent('note.wav');
    expect(ipc.attachAudioBytes).toHaveBeenCalledWith('note.wav', 'UklGRg==');
    await fireEvent.change(screen.getByTestId('listen-format'), { target: { value: 'srt' } });
    await user.type(screen.getByTestId('listen-language'), 'en');
    await user.type(screen.getByTestId('listen-prompt'), 'Nexhina');
    await user.click(screen.getByTestId('speech-transcribe'));
    expect(ipc.transcribe).toHaveBeenCalledWith({
      asset_id: 11,
      model: 'whisper-1',
      language: 'en',
      prompt: 'Nexhina',
      format: 'srt',
      translate: false,
    });
    expect(await screen.findByTestId('speech-transcript-text')).toHaveTextContent(transcript.text);
    expect(screen.getAllByTestId('speech-segment')).toHaveLength(2);
    expect(screen.getAllByTestId('speech-segment')[1]).toHaveTextContent('00:01.230 → 00:02.460');
    await user.click(screen.getByTestId('speech-export-srt'));
    expect(ipc.exportTranscript).toHaveBeenCalledWith(40, 'srt');
    expect(await screen.findByTestId('speech-transcript-exported')).toHaveTextContent('note.srt');
  });

  it('translates without a language hint, and keeps SRT off for a transcript without timings', async () => {
    const user = userEvent.setup();
    vi.mocked(ipc.attachAudioFile).mockResolvedValue({
      id: 12,
      sha256: 'cd',
      mime: 'audio/mpeg',
      size_bytes: 1000,
      width: null,
      height: null,
      path: '/media/cd.mp3',
      thumbnail_path: null,
      original_name: 'talk.mp3',
    });
    vi.mocked(ipc.transcribe).mockResolvedValue({ ...transcript, segments: [], generation_id: 41 });
    listener.setLanguage('fr');
    render(SpeechView);
    await listener.attach(() => ipc.attachAudioFile('/tmp/talk.mp3'));
    await user.click(screen.getByTestId('listen-translate'));
    await user.click(screen.getByTestId('speech-transcribe'));
    expect(ipc.transcribe).toHaveBeenCalledWith(expect.objectContaining({ asset_id: 12, language: null, translate: true }));
    await screen.findByTestId('speech-transcript');
    expect(screen.getByTestId('speech-export-srt')).toBeDisabled();
    expect(screen.getByTestId('speech-export-text')).toBeEnabled();
  });

  it('records with a level meter and uses the recording', async () => {
    const user = userEvent.setup();
    vi.mocked(ipc.startRecording).mockResolvedValue(null);
    vi.mocked(ipc.stopRecording).mockResolvedValue({
      id: 13,
      sha256: 'ef',
      mime: 'audio/wav',
      size_bytes: 64_000,
      width: null,
      height: null,
      path: '/media/ef.wav',
      thumbnail_path: null,
      original_name: 'recording.wav',
    });
    render(SpeechView);
    await user.click(screen.getByTestId('speech-record'));
    await screen.findByTestId('speech-recorder');
    emitLevel({ level: 0.6, seconds: 3.2 });
    await waitFor(() => expect(screen.getByTestId('speech-level')).toHaveAttribute('aria-valuenow', '0.6'));
    expect(screen.getByTestId('speech-record-time')).toHaveTextContent('0:03');
    await user.click(screen.getByTestId('speech-record-stop'));
    expect(await screen.findByTestId('speech-input')).toHaveTextContent('recording.wav');
    expect(screen.getByTestId('speech-transcribe')).toBeEnabled();
  });

  it('shows the clear error when there is no microphone', async () => {
    const user = userEvent.setup();
    vi.mocked(ipc.startRecording).mockRejectedValue({
      code: 'not_supported',
      message: 'No microphone is available (no input device or sound server). You can pick an audio file instead.',
      request_id: null,
    });
    render(SpeechView);
    await user.click(screen.getByTestId('speech-record'));
    expect(await screen.findByTestId('speech-input-error')).toHaveTextContent('No microphone is available');
    expect(screen.queryByTestId('speech-recorder')).not.toBeInTheDocument();
  });

  it('reopens a past transcript from the list', async () => {
    const user = userEvent.setup();
    transcripts = [clip(40, { kind: 'transcription', prompt: 'note.wav', model: 'whisper-1', duration_ms: null })];
    vi.mocked(ipc.getTranscript).mockResolvedValue(transcript);
    render(SpeechView);
    await user.click(await screen.findByTestId('speech-transcript-item'));
    expect(ipc.getTranscript).toHaveBeenCalledWith(40);
    expect(await screen.findByTestId('speech-transcript-text')).toHaveTextContent(transcript.text);
  });
});

describe('chat speech actions', () => {
  it('reads a reply aloud with the remembered voice and stops it when pressed again', async () => {
    const user = userEvent.setup();
    localStorage.setItem('nexhina.speech.voice', 'coral');
    resetSpeech();
    speakForm.voice = 'coral';
    vi.mocked(ipc.readAloud).mockResolvedValue(clip(5, { status: 'running', progress: 0 }));
    render(ReadAloudButton, { messageId: 77 });
    const button = screen.getByTestId('read-aloud');
    await user.click(button);
    expect(ipc.readAloud).toHaveBeenCalledWith(77, 'tts-1', 'coral', expect.any(Function));
    expect(library.get(5)).toBeDefined();
    player.apply({ clip_id: 5, playing: true, paused: false, position_ms: 100, duration_ms: null });
    await waitFor(() => expect(button).toHaveAttribute('data-state', 'playing'));
    await user.click(button);
    expect(ipc.stopPlayback).toHaveBeenCalled();
  });

  it('falls back to the first TTS model for read-aloud', async () => {
    expect(await readAloudChoice()).toEqual({ model: 'tts-1', voice: 'alloy' });
  });

  it('dictates: records, transcribes with Listen’s model, and hands over the text; the hotkey toggles it', async () => {
    const user = userEvent.setup();
    vi.mocked(ipc.startRecording).mockResolvedValue(null);
    vi.mocked(ipc.stopRecording).mockResolvedValue({
      id: 14,
      sha256: 'gh',
      mime: 'audio/wav',
      size_bytes: 64_000,
      width: null,
      height: null,
      path: '/media/gh.wav',
      thumbnail_path: null,
      original_name: 'recording.wav',
    });
    vi.mocked(ipc.transcribe).mockResolvedValue(transcript);
    const onText = vi.fn();
    render(DictateButton, { onText });
    const button = screen.getByTestId('dictate-button');
    await user.click(button);
    expect(button).toHaveAttribute('data-phase', 'recording');
    emitLevel({ level: 0.4, seconds: 1 });
    expect(await screen.findByTestId('dictation-status')).toHaveTextContent('0:01');
    await user.keyboard('{Control>}{Shift>}D{/Shift}{/Control}');
    await waitFor(() => expect(onText).toHaveBeenCalledWith(transcript.text));
    expect(ipc.transcribe).toHaveBeenCalledWith({ asset_id: 14, model: 'whisper-1', language: null, prompt: null, format: 'json', translate: false });
    expect(button).toHaveAttribute('data-phase', 'idle');
  });

  it('shows why dictation could not start', async () => {
    const user = userEvent.setup();
    vi.mocked(ipc.startRecording).mockRejectedValue({ code: 'not_supported', message: 'No microphone is available.', request_id: null });
    render(DictateButton, { onText: vi.fn() });
    await user.click(screen.getByTestId('dictate-button'));
    expect(await screen.findByTestId('dictation-error')).toHaveTextContent('No microphone is available.');
  });
});
