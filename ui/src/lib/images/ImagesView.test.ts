import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { models } from '../../test/fixtures';
import { app } from '../app.svelte';
import type { AssetView } from '../bindings/AssetView';
import type { GalleryFilter } from '../bindings/GalleryFilter';
import type { GalleryItem } from '../bindings/GalleryItem';
import type { GalleryPage } from '../bindings/GalleryPage';
import type { GenerationEvent } from '../bindings/GenerationEvent';
import type { GenerationView } from '../bindings/GenerationView';
import { galleryFor, GALLERY_PAGE, resetGalleries } from '../gallery/gallery.svelte';
import { SEARCH_DEBOUNCE } from '../gallery/GalleryFilters.svelte';
import { setLanguage } from '../i18n/language.svelte';
import * as ipc from '../ipc';
import { videoInput } from '../video/input.svelte';
import { images } from './images.svelte';
import ImagesView from './ImagesView.svelte';

vi.mock('../ipc', async (importOriginal) => {
  const real = await importOriginal<typeof import('../ipc')>();
  return {
    ...real,
    listModels: vi.fn(),
    generateImages: vi.fn(),
    rerunGeneration: vi.fn(),
    listGallery: vi.fn(),
    galleryModels: vi.fn(),
    getGeneration: vi.fn(),
    setFavourite: vi.fn(),
    setRating: vi.fn(),
    deleteGeneration: vi.fn(),
    exportImage: vi.fn(),
    attachFile: vi.fn(),
    attachBytes: vi.fn(),
    fileSrc: vi.fn((path: string) => `asset://localhost${path}`),
    onFileDrop: vi.fn(async () => () => {}),
  };
});

const imageModels = [
  ...models,
  { id: 'dall-e-3', kind: 'image' as const, kind_source: 'gateway' as const, owned_by: 'openai' },
  { id: 'gpt-image-1', kind: 'image' as const, kind_source: 'gateway' as const, owned_by: 'openai' },
];

/** Stands in for the Tauri Channel: the mocked command hands the test its handler. */
class FakeChannel {
  private handler: ipc.GenerationHandler | null = null;

  connect(handler: ipc.GenerationHandler): void {
    this.handler = handler;
  }

  emit(...events: GenerationEvent[]): void {
    if (!this.handler) throw new Error('the command was not called');
    for (const event of events) this.handler(event);
  }
}

function card(id: number, overrides: Partial<GalleryItem> = {}): GalleryItem {
  return {
    id,
    kind: 'image',
    model: 'flux-schnell',
    prompt: `Prompt number ${id}`,
    status: 'complete',
    progress: 100,
    error: null,
    favourite: false,
    rating: null,
    outputs: 1,
    thumbnail_path: `/media/thumbs/${id}.jpg`,
    file_path: `/media/${id}.png`,
    width: 1024,
    height: 1024,
    created_at: 1_700_000_000_000 + id,
    duration_ms: null,
    ...overrides,
  };
}

function asset(id: number, overrides: Partial<AssetView> = {}): AssetView {
  return {
    id,
    sha256: `sha${id}`,
    mime: 'image/png',
    size_bytes: 1000,
    width: 1024,
    height: 1024,
    path: `/media/${id}.png`,
    thumbnail_path: `/media/thumbs/${id}.jpg`,
    original_name: null,
    ...overrides,
  };
}

function generation(id: number, overrides: Partial<GenerationView> = {}): GenerationView {
  return {
    id,
    kind: 'image',
    model: 'dall-e-3',
    prompt: `Prompt number ${id}`,
    revised_prompt: null,
    params: { size: '1024x1024', n: 1, quality: 'hd', style: 'vivid' },
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
    completed_at: Date.UTC(2026, 2, 14, 9, 30, 12),
    ...overrides,
  };
}

const page: GalleryPage = { items: [card(3), card(2, { favourite: true, rating: 4 }), card(1)], next_cursor: null };

function stubGenerate(started: GalleryItem): FakeChannel {
  const channel = new FakeChannel();
  vi.mocked(ipc.generateImages).mockImplementation(async (_request, onEvent) => {
    channel.connect(onEvent);
    return started;
  });
  return channel;
}

function cardById(id: number): HTMLElement {
  const element = screen.getAllByTestId('gallery-card').find((c) => c.dataset.id === String(id));
  if (!element) throw new Error(`no card ${id}`);
  return element;
}

function lastFilter(): GalleryFilter {
  const calls = vi.mocked(ipc.listGallery).mock.calls;
  return calls[calls.length - 1][0];
}

async function openCard(user: ReturnType<typeof userEvent.setup>, id: number): Promise<HTMLElement> {
  await waitFor(() => cardById(id));
  await user.click(within(cardById(id)).getByRole('button', { name: /^Open/ }));
  return screen.findByTestId('lightbox');
}

beforeEach(() => {
  vi.resetAllMocks();
  setLanguage('en');
  localStorage.clear();
  images.reset();
  resetGalleries();
  videoInput.clear();
  app.view = 'images';
  vi.mocked(ipc.fileSrc).mockImplementation((path: string) => `asset://localhost${path}`);
  vi.mocked(ipc.onFileDrop).mockResolvedValue(() => {});
  vi.mocked(ipc.listModels).mockResolvedValue(imageModels);
  vi.mocked(ipc.listGallery).mockResolvedValue(page);
  vi.mocked(ipc.galleryModels).mockResolvedValue(['dall-e-3', 'flux-schnell']);
  vi.mocked(ipc.getGeneration).mockImplementation(async (id) => generation(id));
  vi.mocked(ipc.setFavourite).mockImplementation(async (id, favourite) => card(id, { favourite }));
  vi.mocked(ipc.setRating).mockImplementation(async (id, rating) => card(id, { rating }));
  vi.mocked(ipc.deleteGeneration).mockResolvedValue(null);
});

describe('Generating', () => {
  it('shows a running card at once, then the thumbnail when it completes', async () => {
    const user = userEvent.setup();
    const channel = stubGenerate(card(10, { status: 'running', progress: 0, thumbnail_path: null, file_path: null, outputs: 0, prompt: 'A red fox in snow' }));
    vi.mocked(ipc.getGeneration).mockResolvedValue(
      generation(10, { prompt: 'A red fox in snow', outputs: [asset(100, { thumbnail_path: '/media/thumbs/fox.jpg' })] }),
    );
    render(ImagesView);
    await waitFor(() => expect(screen.getByTestId('image-model')).toHaveValue('flux-schnell'));

    await user.type(screen.getByTestId('image-prompt'), '  A red fox in snow ');
    await user.click(screen.getByTestId('generate-image'));

    expect(ipc.generateImages).toHaveBeenCalledTimes(1);
    expect(vi.mocked(ipc.generateImages).mock.calls[0][0]).toEqual({
      model: 'flux-schnell',
      prompt: 'A red fox in snow',
      size: null,
      n: 1,
      quality: null,
      style: null,
      extra: null,
      input_asset_ids: [],
      mask_asset_id: null,
      parent_generation_id: null,
    });
    const running = await waitFor(() => cardById(10));
    expect(running).toHaveAttribute('data-status', 'running');
    expect(screen.getAllByTestId('gallery-card')[0]).toBe(running);
    expect(running).toHaveTextContent('Generating…');

    channel.emit({ kind: 'progress', id: 10, status: 'running', progress: 40 });
    await waitFor(() => expect(cardById(10)).toHaveTextContent('Generating… 40%'));

    channel.emit({ kind: 'finished', id: 10, status: 'complete', error: null, code: null });
    await waitFor(() => expect(cardById(10)).toHaveAttribute('data-status', 'complete'));
    expect(ipc.getGeneration).toHaveBeenCalledWith(10);
    const img = cardById(10).querySelector('img');
    expect(img).toHaveAttribute('src', 'asset://localhost/media/thumbs/fox.jpg');
    expect(img).toHaveAttribute('loading', 'lazy');
    expect(img).toHaveAttribute('decoding', 'async');
  });

  it('shows why a generation failed, and Retry runs it again', async () => {
    const user = userEvent.setup();
    const channel = stubGenerate(card(11, { status: 'running', progress: 0, thumbnail_path: null, file_path: null }));
    const retryChannel = new FakeChannel();
    vi.mocked(ipc.rerunGeneration).mockImplementation(async (_id, onEvent) => {
      retryChannel.connect(onEvent);
      return card(12, { status: 'running', progress: 0, thumbnail_path: null, file_path: null });
    });
    render(ImagesView);
    await waitFor(() => expect(screen.getByTestId('image-model')).toHaveValue('flux-schnell'));

    await user.type(screen.getByTestId('image-prompt'), 'A castle');
    await user.keyboard('{Control>}{Enter}{/Control}');
    await waitFor(() => cardById(11));

    channel.emit({ kind: 'finished', id: 11, status: 'failed', error: 'Your request was rejected by the safety system.', code: 'bad_request' });
    await waitFor(() => expect(cardById(11)).toHaveAttribute('data-status', 'failed'));
    expect(within(cardById(11)).getByTestId('card-error')).toHaveTextContent('Your request was rejected by the safety system.');
    expect(cardById(11)).toHaveTextContent('The platform rejected the request');

    await user.click(within(cardById(11)).getByTestId('card-retry'));
    expect(ipc.rerunGeneration).toHaveBeenCalledWith(11, expect.any(Function));
    await waitFor(() => expect(screen.getAllByTestId('gallery-card')[0]).toHaveAttribute('data-id', '12'));
    expect(cardById(12)).toHaveAttribute('data-status', 'running');
  });

  it('keeps events that arrive before the card', async () => {
    const user = userEvent.setup();
    vi.mocked(ipc.generateImages).mockImplementation(async (_request, onEvent) => {
      onEvent({ kind: 'finished', id: 13, status: 'failed', error: 'Too fast', code: 'rate_limited' });
      return card(13, { status: 'running', progress: 0 });
    });
    render(ImagesView);
    await waitFor(() => expect(screen.getByTestId('image-model')).toHaveValue('flux-schnell'));

    await user.type(screen.getByTestId('image-prompt'), 'Quick');
    await user.click(screen.getByTestId('generate-image'));

    await waitFor(() => expect(cardById(13)).toHaveAttribute('data-status', 'failed'));
    expect(within(cardById(13)).getByTestId('card-error')).toHaveTextContent('Too fast');
  });

  it('refuses advanced parameters that are not a JSON object, and sends nothing', async () => {
    const user = userEvent.setup();
    stubGenerate(card(20, { status: 'running' }));
    render(ImagesView);
    await waitFor(() => expect(screen.getByTestId('image-model')).toHaveValue('flux-schnell'));
    await user.type(screen.getByTestId('image-prompt'), 'A lighthouse');
    await user.click(screen.getByTestId('image-advanced-toggle'));

    for (const text of ['[1, 2]', '42', '{"seed": ', '"text"']) {
      await user.clear(screen.getByTestId('image-advanced'));
      await user.click(screen.getByTestId('image-advanced'));
      await user.paste(text);
      await user.click(screen.getByTestId('generate-image'));
      expect(await screen.findByTestId('image-advanced-error')).toHaveTextContent('must be one JSON object');
      expect(screen.getByTestId('image-advanced')).toHaveAttribute('aria-invalid', 'true');
    }
    expect(ipc.generateImages).not.toHaveBeenCalled();

    await user.clear(screen.getByTestId('image-advanced'));
    await user.click(screen.getByTestId('image-advanced'));
    await user.paste('{"seed": 42, "negative_prompt": "blur"}');
    expect(screen.queryByTestId('image-advanced-error')).not.toBeInTheDocument();
    await user.click(screen.getByTestId('generate-image'));
    expect(vi.mocked(ipc.generateImages).mock.calls[0][0].extra).toEqual({ seed: 42, negative_prompt: 'blur' });
  });

  it('offers the sizes, count, quality and style of the chosen model', async () => {
    const user = userEvent.setup();
    stubGenerate(card(21, { status: 'running' }));
    render(ImagesView);
    await waitFor(() => expect(screen.getByTestId('image-model')).toHaveValue('flux-schnell'));
    // Only image models are offered.
    const options = within(screen.getByTestId('image-model')).getAllByRole('option').map((o) => o.getAttribute('value'));
    expect(options).toEqual(['flux-schnell', 'dall-e-3', 'gpt-image-1']);
    expect(screen.getByTestId('image-size').tagName).toBe('INPUT');
    expect(screen.queryByTestId('image-quality')).not.toBeInTheDocument();

    await user.selectOptions(screen.getByTestId('image-model'), 'dall-e-3');
    const sizes = within(screen.getByTestId('image-size')).getAllByRole('option').map((o) => o.getAttribute('value'));
    expect(sizes).toEqual(['1024x1024', '1792x1024', '1024x1792']);
    expect(screen.getByTestId('image-count')).toBeDisabled();
    await user.selectOptions(screen.getByTestId('image-size'), '1792x1024');
    await user.selectOptions(screen.getByTestId('image-quality'), 'hd');
    await user.selectOptions(screen.getByTestId('image-style'), 'natural');
    await user.type(screen.getByTestId('image-prompt'), 'Dunes');
    await user.click(screen.getByTestId('generate-image'));
    expect(vi.mocked(ipc.generateImages).mock.calls[0][0]).toMatchObject({
      model: 'dall-e-3',
      size: '1792x1024',
      n: 1,
      quality: 'hd',
      style: 'natural',
    });
    expect(localStorage.getItem('nexhina.images.model')).toBe('dall-e-3');

    await user.selectOptions(screen.getByTestId('image-model'), 'gpt-image-1');
    expect(within(screen.getByTestId('image-size')).getAllByRole('option').map((o) => o.getAttribute('value'))).toEqual([
      'auto',
      '1024x1024',
      '1536x1024',
      '1024x1536',
    ]);
    expect(screen.getByTestId('image-count')).toBeEnabled();
    await user.selectOptions(screen.getByTestId('image-count'), '3');
    expect(screen.queryByTestId('image-style')).not.toBeInTheDocument();
    await user.click(screen.getByTestId('generate-image'));
    expect(vi.mocked(ipc.generateImages).mock.calls[1][0]).toMatchObject({ model: 'gpt-image-1', size: 'auto', n: 3, quality: 'auto', style: null });
  });

  it('checks a free size and an empty prompt before sending', async () => {
    const user = userEvent.setup();
    stubGenerate(card(22, { status: 'running' }));
    render(ImagesView);
    await waitFor(() => expect(screen.getByTestId('image-model')).toHaveValue('flux-schnell'));

    await user.click(screen.getByTestId('generate-image'));
    expect(screen.getByTestId('image-form-error')).toHaveTextContent('Describe the image first.');
    expect(screen.getByTestId('image-prompt')).toHaveFocus();

    await user.type(screen.getByTestId('image-prompt'), 'Mountains');
    await user.type(screen.getByTestId('image-size'), 'big');
    await user.click(screen.getByTestId('generate-image'));
    expect(screen.getByTestId('image-size-error')).toHaveTextContent('width x height');
    expect(ipc.generateImages).not.toHaveBeenCalled();

    await user.clear(screen.getByTestId('image-size'));
    await user.type(screen.getByTestId('image-size'), '1280 x 720');
    await user.click(screen.getByTestId('generate-image'));
    expect(vi.mocked(ipc.generateImages).mock.calls[0][0].size).toBe('1280x720');
  });

  it('edits from an image chosen on disk, and the input can be removed', async () => {
    const user = userEvent.setup();
    stubGenerate(card(23, { status: 'running' }));
    vi.mocked(ipc.attachBytes).mockResolvedValue(asset(77, { original_name: 'cat.png' }));
    render(ImagesView);
    await waitFor(() => expect(screen.getByTestId('image-model')).toHaveValue('flux-schnell'));

    const file = new File([new Uint8Array([137, 80, 78, 71])], 'cat.png', { type: 'image/png' });
    await user.upload(screen.getByTestId('image-input-file'), file);
    const input = await screen.findByTestId('image-input');
    expect(input).toHaveTextContent('cat.png');
    expect(ipc.attachBytes).toHaveBeenCalledWith('cat.png', 'image/png', expect.any(String));

    await user.type(screen.getByTestId('image-prompt'), 'Make it a watercolour');
    await user.click(screen.getByTestId('generate-image'));
    expect(vi.mocked(ipc.generateImages).mock.calls[0][0]).toMatchObject({ input_asset_ids: [77], parent_generation_id: null });

    await user.click(screen.getByTestId('remove-image-input'));
    expect(screen.queryByTestId('image-input')).not.toBeInTheDocument();
    await user.click(screen.getByTestId('generate-image'));
    expect(vi.mocked(ipc.generateImages).mock.calls[1][0].input_asset_ids).toEqual([]);
  });

  it('shows a model list failure in the panel while the gallery still works offline', async () => {
    vi.mocked(ipc.listModels).mockRejectedValue({ code: 'network', message: 'No route to host', request_id: null });
    localStorage.setItem('nexhina.images.model', 'dall-e-3');
    render(ImagesView);

    expect(await screen.findByTestId('image-models-error')).toHaveTextContent('No route to host');
    await waitFor(() => expect(screen.getAllByTestId('gallery-card')).toHaveLength(3));
    // The last model used stays chosen, so the form is ready when the network is back.
    expect(screen.getByTestId('image-model')).toHaveValue('dall-e-3');
    expect(screen.getByTestId('image-model')).toHaveTextContent('dall-e-3 (not listed)');

    vi.mocked(ipc.listModels).mockResolvedValue(imageModels);
    await userEvent.setup().click(screen.getByRole('button', { name: 'Try again' }));
    await waitFor(() => expect(screen.queryByTestId('image-models-error')).not.toBeInTheDocument());
    expect(screen.getByTestId('image-model')).toHaveValue('dall-e-3');
    expect(screen.getByTestId('image-model')).not.toHaveTextContent('not listed');
  });
});

describe('Gallery filters', () => {
  it('map to the filter list_gallery gets', async () => {
    const user = userEvent.setup();
    render(ImagesView);
    await waitFor(() => expect(screen.getAllByTestId('gallery-card')).toHaveLength(3));
    expect(ipc.listGallery).toHaveBeenCalledWith(
      { kind: 'image', model: null, favourites: false, min_rating: null, since: null, until: null, query: null },
      null,
      GALLERY_PAGE,
    );

    await waitFor(() => expect(within(screen.getByTestId('gallery-filter-model')).getAllByRole('option')).toHaveLength(3));
    await user.selectOptions(screen.getByTestId('gallery-filter-model'), 'dall-e-3');
    expect(lastFilter()).toMatchObject({ kind: 'image', model: 'dall-e-3' });

    await user.click(screen.getByTestId('gallery-filter-favourites'));
    expect(lastFilter()).toMatchObject({ model: 'dall-e-3', favourites: true });
    expect(screen.getByTestId('gallery-filter-favourites')).toHaveAttribute('aria-pressed', 'true');

    await user.selectOptions(screen.getByTestId('gallery-filter-rating'), '3');
    expect(lastFilter()).toMatchObject({ favourites: true, min_rating: 3 });

    const before = Date.now();
    await user.selectOptions(screen.getByTestId('gallery-filter-date'), '7d');
    const since7 = lastFilter().since!;
    expect(since7).toBeGreaterThanOrEqual(before - 7 * 86_400_000);
    expect(since7).toBeLessThanOrEqual(Date.now() - 7 * 86_400_000);

    await user.selectOptions(screen.getByTestId('gallery-filter-date'), 'today');
    const midnight = new Date();
    midnight.setHours(0, 0, 0, 0);
    expect(lastFilter().since).toBe(midnight.getTime());

    await user.selectOptions(screen.getByTestId('gallery-filter-date'), 'all');
    expect(lastFilter().since).toBeNull();

    // The search waits until typing pauses, then sends the words once.
    const calls = vi.mocked(ipc.listGallery).mock.calls.length;
    await user.type(screen.getByTestId('gallery-search'), 'red fox');
    expect(vi.mocked(ipc.listGallery).mock.calls.length).toBe(calls);
    await waitFor(() => expect(lastFilter().query).toBe('red fox'), { timeout: SEARCH_DEBOUNCE * 4 });
    expect(vi.mocked(ipc.listGallery).mock.calls.length).toBe(calls + 1);
    expect(lastFilter()).toEqual({
      kind: 'image',
      model: 'dall-e-3',
      favourites: true,
      min_rating: 3,
      since: null,
      until: null,
      query: 'red fox',
    });
  });

  it('shows an empty state when nothing matches, and clears the filters from it', async () => {
    const user = userEvent.setup();
    render(ImagesView);
    await waitFor(() => expect(screen.getAllByTestId('gallery-card')).toHaveLength(3));

    vi.mocked(ipc.listGallery).mockResolvedValue({ items: [], next_cursor: null });
    await user.click(screen.getByTestId('gallery-filter-favourites'));
    const empty = await screen.findByTestId('gallery-empty');
    expect(empty).toHaveTextContent('Nothing matches');

    vi.mocked(ipc.listGallery).mockResolvedValue(page);
    await user.click(within(empty).getByRole('button', { name: 'Clear filters' }));
    await waitFor(() => expect(screen.getAllByTestId('gallery-card')).toHaveLength(3));
    expect(lastFilter().favourites).toBe(false);
  });

  it('says how to start when the gallery is empty', async () => {
    vi.mocked(ipc.listGallery).mockResolvedValue({ items: [], next_cursor: null });
    render(ImagesView);
    expect(await screen.findByTestId('gallery-empty')).toHaveTextContent('No images yet');
  });

  it('favourites and rates from the card', async () => {
    const user = userEvent.setup();
    render(ImagesView);
    await waitFor(() => cardById(3));

    await user.click(within(cardById(3)).getByTestId('card-favourite'));
    expect(ipc.setFavourite).toHaveBeenCalledWith(3, true);
    await waitFor(() => expect(within(cardById(3)).getByTestId('card-favourite')).toHaveAttribute('aria-pressed', 'true'));

    // The stars show under the pointer.
    expect(within(cardById(2)).queryByTestId('card-rate-4')).toBeNull();
    await user.hover(cardById(3));
    await user.click(within(cardById(3)).getByTestId('card-rate-5'));
    expect(ipc.setRating).toHaveBeenCalledWith(3, 5);
    // The same rating again clears it.
    await user.hover(cardById(2));
    await user.click(within(cardById(2)).getByTestId('card-rate-4'));
    expect(ipc.setRating).toHaveBeenCalledWith(2, null);
  });
});

describe('Lightbox', () => {
  it('opens with the metadata and moves with the arrow keys', async () => {
    const user = userEvent.setup();
    vi.mocked(ipc.getGeneration).mockImplementation(async (id) =>
      generation(id, {
        revised_prompt: id === 3 ? 'A highly detailed prompt' : null,
        usage: { input_tokens: 50, output_tokens: 4160, total_tokens: 4210 },
        params: { size: '1792x1024', n: 1, quality: 'hd', style: 'vivid', extra: { seed: 7 } },
      }),
    );
    render(ImagesView);

    const lightbox = await openCard(user, 3);
    expect(ipc.getGeneration).toHaveBeenCalledWith(3);
    await waitFor(() => expect(within(lightbox).getByTestId('lightbox-prompt')).toHaveTextContent('Prompt number 3'));
    await waitFor(() => expect(within(lightbox).getByTestId('lightbox-model')).toHaveTextContent('dall-e-3'));
    expect(within(lightbox).getByTestId('lightbox-revised-prompt')).toHaveTextContent('A highly detailed prompt');
    expect(within(lightbox).getByTestId('lightbox-image')).toHaveAttribute('src', 'asset://localhost/media/30.png');
    expect(lightbox).toHaveTextContent('1792 × 1024');
    expect(lightbox).toHaveTextContent('hd');
    expect(lightbox).toHaveTextContent('"seed": 7');
    expect(within(lightbox).getByTestId('lightbox-usage')).toHaveTextContent('50 in · 4,160 out');
    const expected = new Intl.DateTimeFormat('en', { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(Date.UTC(2026, 2, 14, 9, 30)));
    expect(within(lightbox).getByTestId('lightbox-created')).toHaveTextContent(expected);
    expect(within(lightbox).getByTestId('lightbox-position')).toHaveTextContent('1 of 3');

    await user.keyboard('{ArrowRight}');
    await waitFor(() => expect(within(lightbox).getByTestId('lightbox-prompt')).toHaveTextContent('Prompt number 2'));
    expect(ipc.getGeneration).toHaveBeenLastCalledWith(2);
    expect(within(lightbox).getByTestId('lightbox-favourite')).toHaveAttribute('aria-pressed', 'true');
    expect(within(lightbox).getByTestId('lightbox-rate-4')).toHaveAttribute('aria-pressed', 'true');

    await user.keyboard('{ArrowRight}');
    await waitFor(() => expect(within(lightbox).getByTestId('lightbox-prompt')).toHaveTextContent('Prompt number 1'));
    await user.keyboard('{ArrowRight}'); // the last one: stays
    expect(within(lightbox).getByTestId('lightbox-prompt')).toHaveTextContent('Prompt number 1');
    await user.keyboard('{ArrowLeft}');
    await waitFor(() => expect(within(lightbox).getByTestId('lightbox-prompt')).toHaveTextContent('Prompt number 2'));

    // F toggles the favourite.
    await user.keyboard('f');
    expect(ipc.setFavourite).toHaveBeenCalledWith(2, false);

    await user.keyboard('{Escape}');
    await waitFor(() => expect(screen.queryByTestId('lightbox')).not.toBeInTheDocument());
  });

  it('asks before deleting, then shows the next one', async () => {
    const user = userEvent.setup();
    render(ImagesView);
    const lightbox = await openCard(user, 3);
    await waitFor(() => expect(within(lightbox).getByTestId('lightbox-prompt')).toHaveTextContent('Prompt number 3'));

    await user.keyboard('{Delete}');
    expect(await screen.findByTestId('confirm-delete')).toBeInTheDocument();
    expect(ipc.deleteGeneration).not.toHaveBeenCalled();
    await user.click(screen.getByTestId('cancel-delete'));
    expect(screen.queryByTestId('confirm-delete')).not.toBeInTheDocument();
    expect(ipc.deleteGeneration).not.toHaveBeenCalled();

    await user.click(within(lightbox).getByTestId('lightbox-delete'));
    await user.click(await screen.findByTestId('confirm-delete'));
    expect(ipc.deleteGeneration).toHaveBeenCalledWith(3);
    await waitFor(() => expect(within(lightbox).getByTestId('lightbox-prompt')).toHaveTextContent('Prompt number 2'));
    expect(screen.getAllByTestId('gallery-card').map((c) => c.dataset.id)).toEqual(['2', '1']);
  });

  it('saves a labelled copy, with or without the prompt, and shows where', async () => {
    const user = userEvent.setup();
    vi.mocked(ipc.exportImage).mockResolvedValue('/home/me/Downloads/nexhina-3.png');
    vi.mocked(ipc.getGeneration).mockImplementation(async (id) =>
      generation(id, { outputs: [asset(30), asset(31), asset(32)] }),
    );
    render(ImagesView);
    const lightbox = await openCard(user, 3);
    await waitFor(() => expect(within(lightbox).getAllByTestId('lightbox-output')).toHaveLength(3));

    expect(within(lightbox).getByTestId('lightbox-include-prompt')).toBeChecked();
    await user.click(within(lightbox).getByTestId('lightbox-save'));
    expect(ipc.exportImage).toHaveBeenCalledWith(3, 0, true);
    expect(await within(lightbox).findByTestId('export-path')).toHaveTextContent('Saved to /home/me/Downloads/nexhina-3.png');

    await user.click(within(lightbox).getAllByTestId('lightbox-output')[2]);
    expect(within(lightbox).getByTestId('lightbox-image')).toHaveAttribute('src', 'asset://localhost/media/32.png');
    await user.click(within(lightbox).getByTestId('lightbox-include-prompt'));
    expect(localStorage.getItem('nexhina.export.includePrompt')).toBe('false');
    await user.click(within(lightbox).getByTestId('lightbox-save'));
    expect(ipc.exportImage).toHaveBeenLastCalledWith(3, 2, false);
  });

  it('re-runs, uses the image as input, and hands it to the Video view', async () => {
    const user = userEvent.setup();
    vi.mocked(ipc.rerunGeneration).mockResolvedValue(card(40, { status: 'running' }));
    render(ImagesView);

    let lightbox = await openCard(user, 2);
    await waitFor(() => expect(within(lightbox).getByTestId('lightbox-use-as-input')).toBeEnabled());
    await user.click(within(lightbox).getByTestId('lightbox-use-as-input'));
    expect(screen.queryByTestId('lightbox')).not.toBeInTheDocument();
    expect(within(screen.getByTestId('image-input')).getByRole('img')).toHaveAttribute('src', 'asset://localhost/media/thumbs/20.jpg');
    await waitFor(() => expect(screen.getByTestId('image-prompt')).toHaveFocus());
    await user.type(screen.getByTestId('image-prompt'), 'Now at night');
    stubGenerate(card(41, { status: 'running' }));
    await user.click(screen.getByTestId('generate-image'));
    expect(vi.mocked(ipc.generateImages).mock.calls[0][0]).toMatchObject({ input_asset_ids: [20], parent_generation_id: 2 });

    lightbox = await openCard(user, 1);
    await user.click(within(lightbox).getByTestId('lightbox-rerun'));
    expect(ipc.rerunGeneration).toHaveBeenCalledWith(1, expect.any(Function));
    await waitFor(() => expect(screen.queryByTestId('lightbox')).not.toBeInTheDocument());
    expect(screen.getAllByTestId('gallery-card')[0]).toHaveAttribute('data-id', '40');

    lightbox = await openCard(user, 3);
    await waitFor(() => expect(within(lightbox).getByTestId('lightbox-to-video')).toBeEnabled());
    await user.click(within(lightbox).getByTestId('lightbox-to-video'));
    expect(videoInput.assetId).toBe(30);
    expect(videoInput.generationId).toBe(3);
    expect(app.view).toBe('video');
  });

  it('opens the generation an edit was made from', async () => {
    const user = userEvent.setup();
    vi.mocked(ipc.getGeneration).mockImplementation(async (id) =>
      id === 3 ? generation(3, { inputs: [asset(500)], parent_generation_id: 99 }) : generation(id, { prompt: `Parent ${id}` }),
    );
    render(ImagesView);
    const lightbox = await openCard(user, 3);
    await user.click(await within(lightbox).findByTestId('lightbox-input'));
    await waitFor(() => expect(within(lightbox).getByTestId('lightbox-prompt')).toHaveTextContent('Parent 99'));
    expect(ipc.getGeneration).toHaveBeenLastCalledWith(99);
  });
});

describe('A big gallery', () => {
  it('keeps only a bounded number of cards in the DOM while pages load by cursor', async () => {
    const TOTAL = 20_000;
    vi.mocked(ipc.listGallery).mockImplementation(async (_filter, cursor, limit) => {
      const start = cursor === null ? 0 : Number(cursor);
      const items = Array.from({ length: Math.min(limit, TOTAL - start) }, (_, i) => card(TOTAL - start - i));
      const end = start + items.length;
      return { items, next_cursor: end < TOTAL ? String(end) : null };
    });
    render(ImagesView);
    await waitFor(() => expect(screen.getAllByTestId('gallery-card').length).toBeGreaterThan(0));
    expect(vi.mocked(ipc.listGallery).mock.calls[0][2]).toBe(GALLERY_PAGE);

    const store = galleryFor('image');
    while (store.nextCursor !== null) await store.loadMore();
    await waitFor(() => expect(store.items).toHaveLength(TOTAL));
    const cursors = vi.mocked(ipc.listGallery).mock.calls.map((call) => call[1]);
    expect(cursors.length).toBe(TOTAL / GALLERY_PAGE);
    expect(cursors[1]).toBe('100');

    const mounted = screen.getAllByTestId('gallery-card').length;
    expect(mounted).toBeGreaterThan(0);
    expect(mounted).toBeLessThan(400);
    expect(screen.getAllByTestId('gallery-card')[0]).toHaveAttribute('data-id', String(TOTAL));
  });

  it('loads the next page when scrolled near the end', async () => {
    vi.mocked(ipc.listGallery).mockImplementation(async (_filter, cursor) => {
      const start = cursor === null ? 0 : Number(cursor);
      const items = Array.from({ length: 100 }, (_, i) => card(10_000 - start - i));
      return { items, next_cursor: String(start + 100) };
    });
    render(ImagesView);
    await waitFor(() => expect(screen.getAllByTestId('gallery-card').length).toBeGreaterThan(0));
    // The first pages fill the view; wait until nothing more is loading.
    await new Promise((resolve) => setTimeout(resolve, 100));
    await waitFor(() => expect(galleryFor('image').loadingMore).toBe(false));
    const calls = vi.mocked(ipc.listGallery).mock.calls.length;
    const scroller = screen.getByTestId('gallery').querySelector('[role="list"]') as HTMLElement;
    Object.defineProperty(scroller, 'scrollTop', { configurable: true, value: 100_000 });
    await fireEvent.scroll(scroller);
    await waitFor(() => expect(vi.mocked(ipc.listGallery).mock.calls.length).toBeGreaterThan(calls));
  });
});
