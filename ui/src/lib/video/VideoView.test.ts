import { render, screen, waitFor, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { models } from '../../test/fixtures';
import type { AssetView } from '../bindings/AssetView';
import type { GalleryItem } from '../bindings/GalleryItem';
import type { GenerationView } from '../bindings/GenerationView';
import { galleryFor, resetGalleries } from '../gallery/gallery.svelte';
import { setLanguage } from '../i18n/language.svelte';
import * as ipc from '../ipc';
import { videoInput } from './input.svelte';
import { formatClock, loadVideo } from './player';
import { parseSeed, phaseOf, video, videoJobs, videoOptions } from './video.svelte';
import VideoView from './VideoView.svelte';

vi.mock('../ipc', async (importOriginal) => {
  const real = await importOriginal<typeof import('../ipc')>();
  return {
    ...real,
    listModels: vi.fn(),
    generateVideo: vi.fn(),
    cancelVideo: vi.fn(),
    videoFile: vi.fn(),
    exportVideo: vi.fn(),
    onGenerationEvent: vi.fn(),
    rerunGeneration: vi.fn(),
    listGallery: vi.fn(),
    galleryModels: vi.fn(),
    getGeneration: vi.fn(),
    setFavourite: vi.fn(),
    setRating: vi.fn(),
    deleteGeneration: vi.fn(),
    attachFile: vi.fn(),
    attachBytes: vi.fn(),
    fileSrc: vi.fn((path: string) => `asset://localhost${path}`),
    onFileDrop: vi.fn(async () => () => {}),
  };
});

const videoModels = [
  ...models,
  { id: 'veo-2', kind: 'video' as const, kind_source: 'gateway' as const, owned_by: 'google' },
  { id: 'sora', kind: 'video' as const, kind_source: 'gateway' as const, owned_by: 'openai' },
];

function card(id: number, overrides: Partial<GalleryItem> = {}): GalleryItem {
  return {
    id,
    kind: 'video',
    model: 'veo-2',
    prompt: `Clip number ${id}`,
    status: 'complete',
    progress: 100,
    error: null,
    favourite: false,
    rating: null,
    outputs: 1,
    thumbnail_path: `/media/thumbs/${id}.jpg`,
    file_path: `/media/${id}.mp4`,
    width: null,
    height: null,
    created_at: 1_700_000_000_000 + id,
    duration_ms: null,
    ...overrides,
  };
}

function asset(id: number, overrides: Partial<AssetView> = {}): AssetView {
  return {
    id,
    sha256: `sha${id}`,
    mime: 'video/mp4',
    size_bytes: 12_302,
    width: null,
    height: null,
    path: `/media/${id}.mp4`,
    thumbnail_path: `/media/thumbs/${id}.jpg`,
    original_name: null,
    ...overrides,
  };
}

function generation(id: number, overrides: Partial<GenerationView> = {}): GenerationView {
  return {
    id,
    kind: 'video',
    model: 'veo-2',
    prompt: `Clip number ${id}`,
    revised_prompt: null,
    params: { seconds: 5, size: '1280x720', fps: null, seed: null, api: 'tasks' },
    status: 'complete',
    progress: 100,
    error: null,
    favourite: false,
    rating: null,
    outputs: [asset(id * 10)],
    inputs: [],
    parent_generation_id: null,
    usage: null,
    created_at: Date.UTC(2026, 2, 14, 9, 30),
    completed_at: Date.UTC(2026, 2, 14, 9, 31),
    ...overrides,
  };
}

/** The app-wide generation event, as the mocked listener hands it to the store. */
let globalEvent: ipc.GenerationHandler = () => {
  throw new Error('nobody listens');
};
/** The channel of the last generate_video call. */
let channel: ipc.GenerationHandler = () => {
  throw new Error('nothing was submitted');
};

function stubGenerate(started: GalleryItem): void {
  vi.mocked(ipc.generateVideo).mockImplementationOnce(async (_request, onEvent) => {
    channel = onEvent;
    return started;
  });
}

function jobCard(id: number): HTMLElement {
  const element = screen.queryAllByTestId('video-job').find((c) => c.dataset.id === String(id));
  if (!element) throw new Error(`no job card ${id}`);
  return element;
}

async function ready(): Promise<void> {
  await waitFor(() => expect(screen.getByTestId('video-model')).toHaveValue('veo-2'));
}

beforeEach(() => {
  vi.resetAllMocks();
  setLanguage('en');
  localStorage.clear();
  video.reset();
  videoJobs.reset();
  resetGalleries();
  videoInput.clear();
  vi.mocked(ipc.fileSrc).mockImplementation((path: string) => `asset://localhost${path}`);
  vi.mocked(ipc.onFileDrop).mockResolvedValue(() => {});
  vi.mocked(ipc.onGenerationEvent).mockImplementation(async (handler) => {
    globalEvent = handler;
    return () => {};
  });
  vi.mocked(ipc.listModels).mockResolvedValue(videoModels);
  vi.mocked(ipc.listGallery).mockResolvedValue({ items: [], next_cursor: null });
  vi.mocked(ipc.galleryModels).mockResolvedValue([]);
  vi.mocked(ipc.getGeneration).mockImplementation(async (id) => generation(id));
  vi.mocked(ipc.cancelVideo).mockResolvedValue(null);
});

describe('The form', () => {
  it('offers only video models, and durations and sizes the model accepts', () => {
    expect(videoOptions('sora').durations).toEqual([4, 8, 12]);
    expect(videoOptions('veo-2').durations).toEqual([5, 10]);
    video.models = videoModels;
    expect(video.videoModels.map((m) => m.id)).toEqual(['veo-2', 'sora']);
    video.selectModel('veo-2');
    video.seconds = 10;
    video.size = '1024x1024';
    video.selectModel('sora');
    expect(video.seconds).toBeNull();
    expect(video.size).toBe('');
  });

  it('reads a seed as a whole number or nothing', () => {
    expect(parseSeed('')).toEqual({ ok: true, value: null });
    expect(parseSeed(' 42 ')).toEqual({ ok: true, value: 42 });
    expect(parseSeed('4.2').ok).toBe(false);
    expect(parseSeed('-1').ok).toBe(false);
    expect(parseSeed('1234567890123456').ok).toBe(false);
  });

  it('builds the request with the first frame and where it came from', () => {
    video.model = 'veo-2';
    video.prompt = '  Waves at night ';
    video.seconds = 5;
    video.size = '1280x720';
    video.fps = 24;
    video.seed = '7';
    videoInput.set(asset(3, { mime: 'image/png' }), 12);
    expect(video.request()).toEqual({
      ok: true,
      request: {
        model: 'veo-2',
        prompt: 'Waves at night',
        image_asset_id: 3,
        size: '1280x720',
        seconds: 5,
        fps: 24,
        seed: 7,
        api: 'auto',
        parent_generation_id: 12,
      },
    });
    video.prompt = ' ';
    expect(video.request()).toEqual({ ok: false, problem: 'prompt' });
  });

  it('says what is missing instead of sending', async () => {
    const user = userEvent.setup();
    render(VideoView);
    await ready();
    await user.click(screen.getByTestId('generate-video'));
    expect(screen.getByTestId('video-form-error')).toHaveTextContent('Describe the video first.');
    expect(ipc.generateVideo).not.toHaveBeenCalled();

    await user.type(screen.getByTestId('video-prompt'), 'Rain');
    await user.type(screen.getByTestId('video-seed'), 'abc');
    await user.click(screen.getByTestId('generate-video'));
    expect(screen.getByTestId('video-form-error')).toHaveTextContent('whole number');
    expect(ipc.generateVideo).not.toHaveBeenCalled();
  });

  it('shows an image sent from the image gallery as the first frame', async () => {
    const user = userEvent.setup();
    videoInput.set(asset(5, { mime: 'image/png', width: 1024, height: 768, path: '/media/5.png' }), 50);
    render(VideoView);
    await ready();
    const frame = screen.getByTestId('video-first-frame');
    expect(frame).toHaveAttribute('data-id', '5');
    expect(frame).toHaveTextContent('1024 × 768');
    expect(screen.getByTestId('generate-video')).toHaveTextContent('Animate the image');
    await user.click(screen.getByTestId('remove-first-frame'));
    expect(videoInput.assetId).toBeNull();
    expect(screen.getByTestId('choose-first-frame')).toBeInTheDocument();
  });
});

describe('Jobs', () => {
  it('follows a job from queued to done, with its progress bar', async () => {
    const user = userEvent.setup();
    stubGenerate(card(20, { status: 'running', progress: 0, thumbnail_path: null, file_path: null, prompt: 'Rain on a window' }));
    render(VideoView);
    await ready();
    await user.type(screen.getByTestId('video-prompt'), 'Rain on a window');
    await user.click(screen.getByTestId('generate-video'));

    expect(vi.mocked(ipc.generateVideo).mock.calls[0][0]).toEqual({
      model: 'veo-2',
      prompt: 'Rain on a window',
      image_asset_id: null,
      size: null,
      seconds: null,
      fps: null,
      seed: null,
      api: 'auto',
      parent_generation_id: null,
    });
    const job = await waitFor(() => jobCard(20));
    expect(job).toHaveAttribute('data-phase', 'queued');
    expect(within(job).getByTestId('video-job-status')).toHaveTextContent('Queued');

    channel({ kind: 'progress', id: 20, status: 'running', progress: 30 });
    await waitFor(() => expect(jobCard(20)).toHaveAttribute('data-phase', 'running'));
    expect(within(jobCard(20)).getByTestId('video-job-status')).toHaveTextContent('In progress · 30%');
    expect(within(jobCard(20)).getByRole('progressbar')).toHaveAttribute('aria-valuenow', '30');

    // The same event again through the app-wide event, and a late, smaller progress: no going back.
    globalEvent({ kind: 'progress', id: 20, status: 'running', progress: 30 });
    globalEvent({ kind: 'progress', id: 20, status: 'running', progress: 10 });
    channel({ kind: 'progress', id: 20, status: 'running', progress: 70 });
    await waitFor(() => expect(jobCard(20)).toHaveAttribute('data-progress', '70'));

    channel({ kind: 'finished', id: 20, status: 'complete', error: null, code: null });
    await waitFor(() => expect(jobCard(20)).toHaveAttribute('data-phase', 'done'));
    // The gallery card gets its poster.
    await waitFor(() => expect(galleryFor('video').get(20)?.thumbnail_path).toBe('/media/thumbs/200.jpg'));
    globalEvent({ kind: 'progress', id: 20, status: 'running', progress: 100 });
    expect(jobCard(20)).toHaveAttribute('data-phase', 'done');
  });

  it('shows why a job failed, and Retry starts it again', async () => {
    const user = userEvent.setup();
    stubGenerate(card(21, { status: 'running', progress: 0, prompt: 'fail please' }));
    vi.mocked(ipc.rerunGeneration).mockResolvedValue(card(22, { status: 'running', progress: 0, prompt: 'fail please' }));
    render(VideoView);
    await ready();
    await user.type(screen.getByTestId('video-prompt'), 'fail please');
    await user.click(screen.getByTestId('generate-video'));
    await waitFor(() => jobCard(21));

    channel({
      kind: 'finished',
      id: 21,
      status: 'failed',
      error: 'The prompt was rejected by the content policy',
      code: 'server_error',
    });
    await waitFor(() => expect(jobCard(21)).toHaveAttribute('data-phase', 'failed'));
    expect(within(jobCard(21)).getByTestId('video-job-status')).toHaveTextContent('Failed');
    expect(within(jobCard(21)).getByTestId('video-job-error')).toHaveTextContent('content policy');
    expect(within(jobCard(21)).queryByRole('progressbar')).toBeNull();

    await user.click(within(jobCard(21)).getByTestId('video-job-retry'));
    expect(ipc.rerunGeneration).toHaveBeenCalledWith(21, expect.any(Function));
    await waitFor(() => jobCard(22));
    expect(screen.queryAllByTestId('video-job').map((c) => c.dataset.id)).toEqual(['22']);
  });

  it('cancels a running job', async () => {
    const user = userEvent.setup();
    stubGenerate(card(23, { status: 'running', progress: 0 }));
    render(VideoView);
    await ready();
    await user.type(screen.getByTestId('video-prompt'), 'Clouds');
    await user.click(screen.getByTestId('generate-video'));
    await waitFor(() => jobCard(23));
    await user.click(within(jobCard(23)).getByTestId('video-job-cancel'));
    expect(ipc.cancelVideo).toHaveBeenCalledWith(23);
    expect(within(jobCard(23)).getByTestId('video-job-cancel')).toBeDisabled();
    globalEvent({ kind: 'finished', id: 23, status: 'cancelled', error: null, code: null });
    await waitFor(() => expect(jobCard(23)).toHaveAttribute('data-phase', 'cancelled'));
    await user.click(within(jobCard(23)).getByTestId('video-job-dismiss'));
    expect(screen.queryByTestId('video-jobs')).toBeNull();
  });

  it('shows jobs the app resumed at start-up, from the library and from events', async () => {
    vi.mocked(ipc.listGallery).mockResolvedValue({
      items: [card(31, { status: 'running', progress: 40, prompt: 'Resumed one' }), card(30)],
      next_cursor: null,
    });
    vi.mocked(ipc.getGeneration).mockImplementation(async (id) =>
      generation(id, { status: 'running', progress: 60, prompt: 'Known only by its event', outputs: [] }),
    );
    render(VideoView);
    await waitFor(() => jobCard(31));
    expect(jobCard(31)).toHaveAttribute('data-progress', '40');
    // A finished generation from the list is not a job card.
    expect(screen.queryAllByTestId('video-job')).toHaveLength(1);

    globalEvent({ kind: 'progress', id: 32, status: 'running', progress: 60 });
    await waitFor(() => jobCard(32));
    expect(jobCard(32)).toHaveTextContent('Known only by its event');
    expect(ipc.getGeneration).toHaveBeenCalledWith(32);
  });

  it('keeps the job cards when the view is left and opened again', async () => {
    const user = userEvent.setup();
    stubGenerate(card(40, { status: 'running', progress: 0 }));
    const first = render(VideoView);
    await ready();
    await user.type(screen.getByTestId('video-prompt'), 'Keep me');
    await user.click(screen.getByTestId('generate-video'));
    await waitFor(() => jobCard(40));
    first.unmount();

    globalEvent({ kind: 'progress', id: 40, status: 'running', progress: 50 });
    render(VideoView);
    await waitFor(() => expect(jobCard(40)).toHaveAttribute('data-progress', '50'));
    expect(screen.getByTestId('video-prompt')).toHaveValue('Keep me');
    expect(ipc.onGenerationEvent).toHaveBeenCalledTimes(1);
  });

  it('names each phase', () => {
    expect(phaseOf({ status: 'running', progress: 0 })).toBe('queued');
    expect(phaseOf({ status: 'pending', progress: 0 })).toBe('queued');
    expect(phaseOf({ status: 'running', progress: 5 })).toBe('running');
    expect(phaseOf({ status: 'complete', progress: 100 })).toBe('done');
    expect(phaseOf({ status: 'failed', progress: 30 })).toBe('failed');
  });
});

describe('Playback', () => {
  it('plays from a Blob URL of the bytes, and lets it go once', async () => {
    vi.mocked(ipc.videoFile).mockResolvedValue(new Uint8Array([0, 0, 0, 24, 102, 116, 121, 112]).buffer);
    const created: Blob[] = [];
    const revoke = vi.fn();
    const loaded = await loadVideo(
      7,
      'video/mp4',
      (blob) => {
        created.push(blob);
        return 'blob:nexhina/1';
      },
      revoke,
    );
    expect(ipc.videoFile).toHaveBeenCalledWith(7);
    expect(loaded.url).toBe('blob:nexhina/1');
    expect(created[0].type).toBe('video/mp4');
    expect(created[0].size).toBe(8);
    loaded.release();
    loaded.release();
    expect(revoke).toHaveBeenCalledTimes(1);
    expect(revoke).toHaveBeenCalledWith('blob:nexhina/1');
  });

  it('formats times', () => {
    expect(formatClock(2)).toBe('0:02');
    expect(formatClock(61.9)).toBe('1:01');
    expect(formatClock(3723)).toBe('1:02:03');
    expect(formatClock(null)).toBe('--:--');
    expect(formatClock(Number.NaN)).toBe('--:--');
  });

  it('opens a video in the lightbox with its player, and saves a copy', async () => {
    const user = userEvent.setup();
    URL.createObjectURL = vi.fn(() => 'blob:nexhina/9');
    URL.revokeObjectURL = vi.fn();
    // jsdom has no media stack.
    vi.spyOn(HTMLMediaElement.prototype, 'pause').mockImplementation(() => {});
    vi.mocked(ipc.listGallery).mockResolvedValue({ items: [card(9)], next_cursor: null });
    vi.mocked(ipc.videoFile).mockResolvedValue(new ArrayBuffer(16));
    vi.mocked(ipc.exportVideo).mockResolvedValue('/home/user/Downloads/Clip number 9.mp4');
    render(VideoView);
    const galleryCard = await screen.findByTestId('gallery-card');
    await user.click(within(galleryCard).getByRole('button', { name: /^Open/ }));
    const lightbox = await screen.findByTestId('lightbox');
    const player = await within(lightbox).findByTestId('lightbox-video');
    await waitFor(() => expect(player).toHaveAttribute('src', 'blob:nexhina/9'));
    expect(player).toHaveAttribute('poster', 'asset://localhost/media/thumbs/90.jpg');
    expect(ipc.videoFile).toHaveBeenCalledWith(9);
    expect(within(lightbox).getByTestId('lightbox-model')).toHaveTextContent('veo-2');
    expect(within(lightbox).queryByTestId('lightbox-include-prompt')).toBeNull();

    await user.click(within(lightbox).getByTestId('video-loop'));
    expect(player).toHaveProperty('loop', false);
    await user.click(within(lightbox).getByTestId('video-mute'));
    expect(player).toHaveProperty('muted', true);

    await user.click(within(lightbox).getByTestId('lightbox-save'));
    expect(ipc.exportVideo).toHaveBeenCalledWith(9);
    expect(await within(lightbox).findByTestId('export-path')).toHaveTextContent('Clip number 9.mp4');

    await user.click(within(lightbox).getByTestId('lightbox-close'));
    await waitFor(() => expect(screen.queryByTestId('lightbox')).toBeNull());
    expect(URL.revokeObjectURL).toHaveBeenCalledWith('blob:nexhina/9');
  });
});
