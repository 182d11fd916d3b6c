/**
 * Polygon drawing with terra-draw on MapLibre, created on first use. While drawing, map clicks
 * belong to the drawing (feature popups are suspended). Click points; finish by clicking the
 * first point again or pressing Enter; Escape cancels.
 */
import type { Map as MlMap } from 'maplibre-gl';
import type { TerraDraw } from 'terra-draw';
import { suspendFeatureInfo } from './feature-info.ts';

let draw: TerraDraw | null = null;

/** terra-draw is loaded on first use (its own chunk): the public view never needs it. */
async function ensureDraw(map: MlMap): Promise<TerraDraw> {
  if (draw) return draw;
  const [{ TerraDraw, TerraDrawPolygonMode }, { TerraDrawMapLibreGLAdapter }] = await Promise.all([import('terra-draw'), import('terra-draw-maplibre-gl-adapter')]);
  if (draw) return draw;
  draw = new TerraDraw({
    adapter: new TerraDrawMapLibreGLAdapter({ map }),
    modes: [
      new TerraDrawPolygonMode({
        styles: { fillColor: '#0050a0', fillOpacity: 0.15, outlineColor: '#0050a0', outlineWidth: 2, closingPointColor: '#ffffff', closingPointOutlineColor: '#0050a0' },
      }),
    ],
  });
  draw.start();
  return draw;
}

/** Start drawing; resolves with the finished polygon (EPSG:4490 lon/lat) or null if cancelled. */
export async function drawPolygon(map: MlMap): Promise<{ done: Promise<GeoJSON.Polygon | null>; cancel: () => void }> {
  const d = await ensureDraw(map);
  d.clear();
  d.setMode('polygon');
  suspendFeatureInfo(true);
  let settle: (p: GeoJSON.Polygon | null) => void = () => undefined;
  const done = new Promise<GeoJSON.Polygon | null>((resolve) => (settle = resolve));
  const onFinish = (id: string | number) => {
    const f = d.getSnapshotFeature(id);
    d.setMode('static');
    suspendFeatureInfo(false);
    settle(f && f.geometry.type === 'Polygon' ? (f.geometry as GeoJSON.Polygon) : null);
  };
  d.on('finish', onFinish);
  void done.then(() => d.off('finish', onFinish));
  return {
    done,
    cancel: () => {
      d.clear();
      d.setMode('static');
      suspendFeatureInfo(false);
      settle(null);
    },
  };
}

export function clearDrawing(): void {
  if (!draw) return;
  draw.clear();
  draw.setMode('static');
  suspendFeatureInfo(false);
}
