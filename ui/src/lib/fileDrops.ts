import { onFileDrop } from './ipc';

/**
 * Listens for files dropped on the window while a component is mounted. Tauri intercepts
 * HTML5 drops and reports paths instead. Returns the cleanup, for `onMount`.
 */
export function watchFileDrops(onDrop: (paths: string[]) => void, onDragging: (dragging: boolean) => void): () => void {
  let stop: (() => void) | null = null;
  let destroyed = false;
  void onFileDrop((event) => {
    if (event.type === 'drop') {
      onDragging(false);
      onDrop(event.paths);
    } else {
      onDragging(event.type !== 'leave');
    }
  }).then((unlisten) => {
    if (destroyed) unlisten();
    else stop = unlisten;
  });
  return () => {
    destroyed = true;
    stop?.();
  };
}
