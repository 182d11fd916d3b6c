/**
 * Polygon drawing on MapLibre, two ways:
 * - pointer: terra-draw, created on first use. Click points; finish by clicking the first point
 *   again or pressing Enter; Escape cancels.
 * - keyboard: the map takes the focus and shows a crosshair at its centre; the arrow keys and
 *   +/- move the map (MapLibre's own keyboard handler), Space adds a vertex at the centre,
 *   Backspace removes the last one, Enter finishes (3 vertices at least), Escape cancels.
 * While drawing, map clicks and Enter belong to the drawing (feature popups are suspended).
 */
import type { Map as MlMap } from 'maplibre-gl';
import type { TerraDraw } from 'terra-draw';
import { suspendFeatureInfo } from './feature-info.ts';
import { setOverlay } from './map.ts';

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
  stopKeyboard?.(null);
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
  stopKeyboard?.(null);
  if (keyboardMap) setOverlay(keyboardMap, 'draft', null);
  if (!draw) return;
  draw.clear();
  draw.setMode('static');
  suspendFeatureInfo(false);
}

let keyboardMap: MlMap | null = null;
let stopKeyboard: ((p: GeoJSON.Polygon | null) => void) | null = null;

const fmtDeg = (x: number) => x.toFixed(6);

function draftFeatures(vertices: [number, number][]): GeoJSON.FeatureCollection {
  const features: GeoJSON.Feature[] = vertices.map((c, i) => ({ type: 'Feature', properties: { status: 'block', n: i + 1 }, geometry: { type: 'Point', coordinates: c } }));
  if (vertices.length >= 3) features.unshift({ type: 'Feature', properties: { status: 'block' }, geometry: { type: 'Polygon', coordinates: [[...vertices, vertices[0]]] } });
  else if (vertices.length === 2) features.unshift({ type: 'Feature', properties: { status: 'block' }, geometry: { type: 'LineString', coordinates: vertices } });
  return { type: 'FeatureCollection', features };
}

/**
 * Draw a polygon with the keyboard: vertices at the map centre. `announce` receives each step
 * in Chinese (for an aria-live status). Resolves with the polygon, or null when cancelled.
 */
export function drawPolygonByKeyboard(map: MlMap, announce: (text: string) => void): { done: Promise<GeoJSON.Polygon | null>; cancel: () => void } {
  clearDrawing();
  keyboardMap = map;
  const vertices: [number, number][] = [];
  const canvas = map.getCanvas();
  const crosshair = document.createElement('div');
  crosshair.className = 'draw-crosshair';
  crosshair.setAttribute('aria-hidden', 'true');
  map.getContainer().append(crosshair);
  map.getContainer().classList.add('keyboard-drawing');
  suspendFeatureInfo(true);

  let settle: (p: GeoJSON.Polygon | null) => void = () => undefined;
  const done = new Promise<GeoJSON.Polygon | null>((resolve) => (settle = resolve));
  const show = () => setOverlay(map, 'draft', draftFeatures(vertices));

  // a key pressed during the pan animation of an arrow key takes the centre where the pan ends
  const centre = async (): Promise<[number, number]> => {
    if (map.isMoving()) await new Promise((r) => map.once('moveend', r));
    const c = map.getCenter();
    return [Number(fmtDeg(c.lng)), Number(fmtDeg(c.lat))];
  };

  let queue = Promise.resolve();
  const onKey = (e: KeyboardEvent) => {
    if (e.altKey || e.ctrlKey || e.metaKey) return;
    const key = e.key === ' ' ? 'Space' : e.key;
    if (!['Space', 'Enter', 'Escape', 'Backspace'].includes(key)) return;
    e.preventDefault();
    e.stopPropagation();
    queue = queue.then(async () => {
      if (key === 'Space') {
        const c = await centre();
        vertices.push(c);
        show();
        announce(`已添加第 ${vertices.length} 个拐点（经度 ${c[0]}°，纬度 ${c[1]}°）。${vertices.length >= 3 ? '按回车键结束。' : ''}`);
      } else if (key === 'Backspace') {
        if (vertices.pop()) show();
        announce(`已撤销，剩余 ${vertices.length} 个拐点。`);
      } else if (key === 'Escape') {
        stop(null);
      } else if (vertices.length < 3) {
        announce(`至少需要 3 个拐点（现有 ${vertices.length} 个）。`);
      } else {
        stop({ type: 'Polygon', coordinates: [[...vertices, vertices[0]]] });
      }
    });
  };

  const stop = (polygon: GeoJSON.Polygon | null) => {
    canvas.removeEventListener('keydown', onKey, true);
    crosshair.remove();
    map.getContainer().classList.remove('keyboard-drawing');
    suspendFeatureInfo(false);
    stopKeyboard = null;
    if (polygon) setOverlay(map, 'draft', draftFeatures(polygon.coordinates[0].slice(0, -1) as [number, number][]));
    else setOverlay(map, 'draft', null);
    settle(polygon);
  };
  stopKeyboard = stop;

  // capture: ahead of MapLibre's own keyboard handler on the same element
  canvas.addEventListener('keydown', onKey, true);
  canvas.focus();
  return { done, cancel: () => stop(null) };
}
