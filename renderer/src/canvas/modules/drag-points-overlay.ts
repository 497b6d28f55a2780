/** Drag-point pairs as arrows from handle (red) to target (blue), screen space. */
import Konva from 'konva';
import type { DragPair } from '../../document/types.js';
import { documentToScreen } from '../../document/viewport.js';
import type { CanvasModule, RenderContext } from '../types.js';

interface PairNodes {
  arrow: Konva.Arrow;
  handle: Konva.Circle;
  target: Konva.Circle;
}

export class DragPointsOverlayModule implements CanvasModule {
  private readonly group = new Konva.Group({ listening: false });
  private readonly pairs = new Map<string, PairNodes>();

  constructor(layer: Konva.Layer) {
    layer.add(this.group);
  }

  update({ doc, ui, viewport }: RenderContext): void {
    const live = new Set<string>();
    for (const pair of doc.dragPairs) {
      live.add(pair.id);
      const nodes = this.pairs.get(pair.id) ?? this.create(pair.id);
      const h = documentToScreen(viewport, pair.handle);
      const t = documentToScreen(viewport, pair.target);
      const selected = ui.selected?.kind === 'dragPair' && ui.selected.id === pair.id;
      nodes.arrow.setAttrs({ points: [h.x, h.y, t.x, t.y], strokeWidth: selected ? 3 : 2, visible: Math.hypot(t.x - h.x, t.y - h.y) > 6 });
      nodes.handle.setAttrs({ x: h.x, y: h.y, strokeWidth: selected ? 3 : 2 });
      nodes.target.setAttrs({ x: t.x, y: t.y, strokeWidth: selected ? 3 : 2 });
    }
    for (const [id, nodes] of this.pairs) {
      if (live.has(id)) continue;
      nodes.arrow.destroy();
      nodes.handle.destroy();
      nodes.target.destroy();
      this.pairs.delete(id);
    }
  }

  private create(id: string): PairNodes {
    const nodes: PairNodes = {
      arrow: new Konva.Arrow({ points: [], stroke: '#ffd34d', fill: '#ffd34d', pointerLength: 10, pointerWidth: 10, listening: false }),
      handle: new Konva.Circle({ radius: 6, fill: '#e0474c', stroke: '#fff', listening: false }),
      target: new Konva.Circle({ radius: 6, fill: '#3d8bfd', stroke: '#fff', listening: false }),
    };
    this.group.add(nodes.arrow, nodes.handle, nodes.target);
    this.pairs.set(id, nodes);
    return nodes;
  }

  destroy(): void {
    this.group.destroy();
    this.pairs.clear();
  }
}
