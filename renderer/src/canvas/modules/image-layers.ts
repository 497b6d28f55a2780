/** The document's image layers, bottom to top, drawn from the PixelBank's decoded bitmaps. Document space. */
import Konva from 'konva';
import type { ImageLayer } from '../../document/types.js';
import { shownOriginal, type UiState } from '../../store/state.js';
import type { CanvasModule, RenderContext } from '../types.js';

export class ImageLayersModule implements CanvasModule {
  private readonly group = new Konva.Group({ listening: false });
  private readonly nodes = new Map<string, Konva.Image>();
  private lastLayers: readonly ImageLayer[] | null = null;
  private lastBank = -1;
  private lastCompare: Pick<UiState, 'comparison' | 'showOriginal'> | null = null;

  constructor(parent: Konva.Group) {
    parent.add(this.group);
  }

  update({ doc, ui, bank, bankVersion }: RenderContext): void {
    const compare = this.lastCompare;
    const sameCompare = compare !== null && compare.comparison === ui.comparison && compare.showOriginal === ui.showOriginal;
    if (doc.layers === this.lastLayers && bankVersion === this.lastBank && sameCompare) return;
    this.lastLayers = doc.layers;
    this.lastBank = bankVersion;
    this.lastCompare = { comparison: ui.comparison, showOriginal: ui.showOriginal };
    const live = new Set<string>();
    doc.layers.forEach((layer, i) => {
      live.add(layer.id);
      let node = this.nodes.get(layer.id);
      if (!node) {
        node = new Konva.Image({ image: undefined, listening: false });
        this.nodes.set(layer.id, node);
        this.group.add(node);
      }
      // After an edit, "Show original" draws the layer's old pixels where they were.
      const original = shownOriginal(layer, ui);
      const image = bank.image(original?.pixelId ?? layer.pixelId);
      node.setAttrs({
        image: image ?? undefined,
        ...(original ? { x: original.x, y: original.y, width: original.width, height: original.height } : { x: layer.x, y: layer.y, width: layer.width * layer.scaleX, height: layer.height * layer.scaleY }),
        opacity: layer.opacity,
        visible: layer.visible,
        // A layer whose pixels were lost shows as a red dashed box rather than vanishing.
        stroke: image ? undefined : '#e0474c',
        strokeWidth: image ? 0 : 2,
        strokeScaleEnabled: false,
        dash: image ? undefined : [6, 4],
      });
      node.zIndex(i);
    });
    for (const [id, node] of this.nodes) {
      if (live.has(id)) continue;
      node.destroy();
      this.nodes.delete(id);
    }
  }

  destroy(): void {
    this.group.destroy();
    this.nodes.clear();
  }
}
