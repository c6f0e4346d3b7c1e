// The image the Video view starts from (image-to-video): set by a gallery's
// "Use for image-to-video", read by the Video view.
import type { AssetView } from '../bindings/AssetView';

export class VideoInput {
  /** The stored image, as VideoRequest.image_asset_id wants it. */
  assetId = $state<number | null>(null);
  /** The image itself, to show it. */
  asset = $state<AssetView | null>(null);
  /** The generation it came from, for VideoRequest.parent_generation_id. */
  generationId = $state<number | null>(null);

  set(asset: AssetView, generationId: number | null): void {
    this.assetId = asset.id;
    this.asset = asset;
    this.generationId = generationId;
  }

  clear(): void {
    this.assetId = null;
    this.asset = null;
    this.generationId = null;
  }
}

export const videoInput = new VideoInput();
