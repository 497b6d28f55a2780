/** Recipes over image layers. Each returns a function for `DocumentStore.update`. */
import type { ImageLayer } from '../../document/types.js';
import type { Recipe } from '../document-store.js';

export function addLayer(layer: ImageLayer): Recipe {
  return (doc) => {
    doc.layers.push(layer);
  };
}

export function removeLayer(id: string): Recipe {
  return (doc) => {
    const i = doc.layers.findIndex((l) => l.id === id);
    if (i >= 0) doc.layers.splice(i, 1);
  };
}

export type LayerPlacement = Pick<ImageLayer, 'x' | 'y' | 'scaleX' | 'scaleY'>;

export function placeLayer(id: string, place: Partial<LayerPlacement>): Recipe {
  return (doc) => {
    const layer = doc.layers.find((l) => l.id === id);
    if (layer) Object.assign(layer, place);
  };
}

export function setLayerProps(id: string, props: Partial<Pick<ImageLayer, 'name' | 'opacity' | 'visible'>>): Recipe {
  return (doc) => {
    const layer = doc.layers.find((l) => l.id === id);
    if (layer) Object.assign(layer, props);
  };
}

/** Move a layer to `index` in the bottom-to-top order. */
export function reorderLayer(id: string, index: number): Recipe {
  return (doc) => {
    const from = doc.layers.findIndex((l) => l.id === id);
    if (from < 0) return;
    const [layer] = doc.layers.splice(from, 1);
    doc.layers.splice(Math.max(0, Math.min(doc.layers.length, index)), 0, layer);
  };
}
