// Loading a stored video for the <video> element. WebKitGTK's media stack (GStreamer)
// cannot read asset:// URLs, and the CSP keeps fetch to IPC, so the bytes come over IPC
// and play from a Blob URL, which the player revokes when it closes.
import * as ipc from '../ipc';

export interface LoadedVideo {
  url: string;
  release: () => void;
}

export async function loadVideo(
  generationId: number,
  mime: string,
  createUrl: (blob: Blob) => string = (blob) => URL.createObjectURL(blob),
  revokeUrl: (url: string) => void = (url) => URL.revokeObjectURL(url),
): Promise<LoadedVideo> {
  const bytes = await ipc.videoFile(generationId);
  const url = createUrl(new Blob([bytes], { type: mime || 'video/mp4' }));
  let released = false;
  return {
    url,
    release: () => {
      if (released) return;
      released = true;
      revokeUrl(url);
    },
  };
}

/** 0:07, 1:02:03; "--:--" while unknown. */
export function formatClock(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return '--:--';
  const whole = Math.floor(seconds);
  const h = Math.floor(whole / 3600);
  const m = Math.floor((whole % 3600) / 60);
  const s = whole % 60;
  const ss = String(s).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}
