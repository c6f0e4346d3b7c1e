import '@testing-library/jest-dom/vitest';

// jsdom has no layout. The virtual lists (virtua) measure their viewport and items with
// a ResizeObserver: report a tall viewport and short items, so that they mount (and
// show) the items a test looks for.
const ITEM_HEIGHT = 60;
const VIEWPORT_HEIGHT = 2000;

class FakeResizeObserver {
  private readonly callback: ResizeObserverCallback;

  constructor(callback: ResizeObserverCallback) {
    this.callback = callback;
  }

  observe(target: Element): void {
    const item = target instanceof HTMLElement && target.style.position === 'absolute';
    const height = item ? ITEM_HEIGHT : VIEWPORT_HEIGHT;
    const entry = {
      target,
      contentRect: { width: 800, height, top: 0, left: 0, right: 800, bottom: height, x: 0, y: 0 },
    } as unknown as ResizeObserverEntry;
    queueMicrotask(() => this.callback([entry], this as unknown as ResizeObserver));
  }

  unobserve(): void {}

  disconnect(): void {}
}

if (!('ResizeObserver' in globalThis)) {
  globalThis.ResizeObserver = FakeResizeObserver as unknown as typeof ResizeObserver;
}

// virtua measures only items that take part in layout (have an offsetParent).
Object.defineProperty(HTMLElement.prototype, 'offsetParent', {
  configurable: true,
  get(this: HTMLElement) {
    return this.parentElement;
  },
});

// Scrolling is a no-op without layout.
Element.prototype.scrollTo ??= function scrollTo() {};
Element.prototype.scrollBy ??= function scrollBy() {};
Element.prototype.scrollIntoView ??= function scrollIntoView() {};
