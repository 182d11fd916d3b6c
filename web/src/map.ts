/**
 * The MapLibre map over /styles/default.json. Chinese labels are drawn with local fonts
 * (the style has no glyphs URL; CJK via localIdeographFontFamily; a fixed TinySDF, glyphs.ts).
 * No basemap unless configured
 * (`?basemap=<raster tile URL>` or localStorage `dehui.basemap`), so the page requests nothing
 * from the internet. Overlays (search hits, check overlaps, diffs, upload problems) are GeoJSON
 * sources added above the plan layers.
 */
import maplibregl, { type LngLatBoundsLike, type Map as MlMap, type StyleSpecification } from 'maplibre-gl';
import 'maplibre-gl/dist/maplibre-gl.css';
import { useFixedTinySdf } from './glyphs.ts';

export const LOCAL_CJK_FONTS = '"Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC", sans-serif';

/** Dehui county extent, EPSG:4490 degrees (domain.md §1), until /api/layers answers. */
export const DEHUI_BOUNDS: [number, number, number, number] = [125.23, 44.03, 126.4, 44.89];

declare global {
  interface Window {
    /** for tests and debugging */
    __map?: MlMap;
    /** ms figures: *Ms from the map's creation, *At from navigation start (performance.now()) */
    __viewer?: {
      /** the map's first idle (first paint) */
      ready: boolean;
      /** the panels, tabs and layer list are set up (start() has finished): controls answer clicks */
      wired?: boolean;
      firstIdleMs?: number;
      firstIdleAt?: number;
      styleLoadedMs?: number;
      errors: string[];
    };
  }
}

export type OverlayKind = 'highlight' | 'check' | 'diff' | 'problem' | 'draft';

function basemapUrl(): string | null {
  const fromQuery = new URLSearchParams(location.search).get('basemap');
  let stored: string | null = null;
  try {
    stored = localStorage.getItem('dehui.basemap');
  } catch {
    stored = null;
  }
  const url = fromQuery ?? stored;
  return url && /^https?:\/\/|^\//.test(url) && url.includes('{z}') ? url : null;
}

function withBasemap(style: StyleSpecification): StyleSpecification {
  const url = basemapUrl();
  if (!url) return style;
  const layers = [...style.layers];
  const at = layers.findIndex((l) => l.type !== 'background') ;
  layers.splice(at < 0 ? layers.length : at, 0, { id: 'basemap', type: 'raster', source: 'basemap', paint: { 'raster-opacity': 0.6 } });
  return { ...style, sources: { ...style.sources, basemap: { type: 'raster', tiles: [url], tileSize: 256 } }, layers };
}

export async function createMap(container: HTMLElement, onStatus: (text: string) => void): Promise<{ map: MlMap; style: StyleSpecification }> {
  const started = performance.now();
  window.__viewer = { ready: false, errors: [] };
  // start the tile worker while the style downloads (it parses a large script of its own)
  maplibregl.prewarm();
  const res = await fetch('/styles/default.json');
  if (!res.ok) throw new Error(`无法读取地图样式（HTTP ${res.status}）`);
  const style = (await res.json()) as StyleSpecification;

  const map = new maplibregl.Map({
    container,
    style: withBasemap(style),
    bounds: DEHUI_BOUNDS as LngLatBoundsLike,
    fitBoundsOptions: { padding: 20 },
    localIdeographFontFamily: LOCAL_CJK_FONTS,
    attributionControl: { compact: true },
    maxZoom: 18,
    // labels appear at once: no 300 ms fade-in animation (frames) after every placement
    fadeDuration: 0,
    minZoom: 5,
    dragRotate: false,
    pitchWithRotate: false,
    // no preserved drawing buffer (MapLibre's default): each frame is presented, not copied;
    // screenshots and printing in Chromium read the presented frame (checked: same pixels, same PDF)
    locale: {
      'NavigationControl.ZoomIn': '放大',
      'NavigationControl.ZoomOut': '缩小',
      'NavigationControl.ResetBearing': '指北',
      'ScaleControl.Meters': '米',
      'ScaleControl.Kilometers': '公里',
      'AttributionControl.ToggleAttribution': '数据来源',
      'FullscreenControl.Enter': '全屏',
      'FullscreenControl.Exit': '退出全屏',
      'Map.Title': '规划地图',
      'Popup.Close': '关闭',
    },
  });
  // before any tile is laid out: full-width brackets （） would otherwise be drawn blank (glyphs.ts)
  useFixedTinySdf(map);
  window.__map = map;
  // other browsers may print a WebGL canvas from its drawing buffer: draw it synchronously first
  addEventListener('beforeprint', () => map.redraw());
  map.touchZoomRotate.disableRotation();
  map.keyboard.enable();
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }), 'top-right');
  map.addControl(new maplibregl.ScaleControl({ maxWidth: 140, unit: 'metric' }), 'bottom-right');
  map.addControl(new maplibregl.FullscreenControl(), 'top-right');

  map.on('error', (e) => {
    const msg = e.error?.message ?? String(e);
    window.__viewer!.errors.push(msg);
    onStatus(`地图加载出错：${msg}`);
  });
  map.on('dataloading', () => onStatus('正在加载…'));
  map.once('load', () => (window.__viewer!.styleLoadedMs = performance.now() - started));
  map.once('idle', () => {
    window.__viewer!.firstIdleMs = performance.now() - started;
    window.__viewer!.firstIdleAt = performance.now();
    window.__viewer!.ready = true;
  });
  map.on('idle', () => onStatus(''));
  await new Promise<void>((resolve) => map.once('load', () => resolve()));
  return { map, style };
}

const OVERLAY_COLOURS: Record<string, string> = {
  prohibited: '#c00000',
  review: '#e08000',
  notice: '#2b7bb9',
  pass: '#2e8b57',
  added: '#1a9850',
  removed: '#d73027',
  // purple: apart from the farmland's yellow and the zones' orange (found by a walkthrough: an orange change was lost among the parcels)
  changed: '#7b3294',
  /** a changed feature's outline at the older version (dashed) */
  before: '#8a4b00',
  highlight: '#00b7ff',
  problem: '#d400d4',
  block: '#0050a0',
};

/** A colour expression over `properties[key]`, with OVERLAY_COLOURS. */
function colourBy(key: string, fallback: string) {
  return ['match', ['get', key], ...Object.entries(OVERLAY_COLOURS).flat(), fallback] as unknown as string;
}

/**
 * Put (or replace) a GeoJSON overlay above the plan; pass null to remove it. Features whose
 * `status` is 'before' (a changed feature's older geometry, in a diff) are drawn as a dashed
 * outline only, under the newer state.
 */
export function setOverlay(map: MlMap, kind: OverlayKind, data: GeoJSON.GeoJSON | null, colourKey = 'status'): void {
  const id = `overlay-${kind}`;
  const src = map.getSource(id) as maplibregl.GeoJSONSource | undefined;
  if (!data) {
    for (const suffix of ['fill', 'before', 'line', 'point']) if (map.getLayer(`${id}-${suffix}`)) map.removeLayer(`${id}-${suffix}`);
    if (src) map.removeSource(id);
    return;
  }
  if (src) {
    src.setData(data);
    return;
  }
  const fallback = kind === 'highlight' ? OVERLAY_COLOURS.highlight : kind === 'problem' ? OVERLAY_COLOURS.problem : '#444444';
  map.addSource(id, { type: 'geojson', data });
  const meta = { 'dehui:overlay': kind };
  map.addLayer({
    id: `${id}-fill`,
    type: 'fill',
    source: id,
    metadata: meta,
    filter: ['all', ['==', ['geometry-type'], 'Polygon'], ['!=', ['get', 'status'], 'before']],
    paint: { 'fill-color': colourBy(colourKey, fallback), 'fill-opacity': kind === 'highlight' ? 0.25 : kind === 'draft' ? 0.15 : 0.45 },
  });
  map.addLayer({
    id: `${id}-before`,
    type: 'line',
    source: id,
    metadata: meta,
    filter: ['==', ['get', 'status'], 'before'],
    paint: { 'line-color': OVERLAY_COLOURS.before, 'line-width': 2.5, 'line-dasharray': [2, 1.5] },
  });
  map.addLayer({
    id: `${id}-line`,
    type: 'line',
    source: id,
    metadata: meta,
    filter: ['!=', ['get', 'status'], 'before'],
    paint: { 'line-color': colourBy(colourKey, fallback), 'line-width': kind === 'highlight' ? 3 : 2 },
  });
  map.addLayer({
    id: `${id}-point`,
    type: 'circle',
    source: id,
    metadata: meta,
    filter: ['==', ['geometry-type'], 'Point'],
    paint: { 'circle-radius': 6, 'circle-color': colourBy(colourKey, fallback), 'circle-stroke-color': '#fff', 'circle-stroke-width': 1.5 },
  });
}

/** [minLon, minLat, maxLon, maxLat] of any GeoJSON, or null when it has no coordinates. */
export function geojsonBounds(data: GeoJSON.GeoJSON | GeoJSON.Geometry | null | undefined): [number, number, number, number] | null {
  const b = [Infinity, Infinity, -Infinity, -Infinity];
  const visit = (c: unknown): void => {
    if (!Array.isArray(c)) return;
    if (typeof c[0] === 'number' && typeof c[1] === 'number') {
      b[0] = Math.min(b[0], c[0]);
      b[1] = Math.min(b[1], c[1]);
      b[2] = Math.max(b[2], c[0]);
      b[3] = Math.max(b[3], c[1]);
      return;
    }
    for (const x of c) visit(x);
  };
  const walk = (g: unknown): void => {
    if (!g || typeof g !== 'object') return;
    const o = g as Record<string, unknown>;
    if (o.type === 'FeatureCollection') (o.features as unknown[]).forEach(walk);
    else if (o.type === 'Feature') walk(o.geometry);
    else if (o.type === 'GeometryCollection') (o.geometries as unknown[]).forEach(walk);
    else visit(o.coordinates);
  };
  walk(data);
  return Number.isFinite(b[0]) ? (b as [number, number, number, number]) : null;
}

export function zoomTo(map: MlMap, bounds: [number, number, number, number] | null, maxZoom = 15): void {
  if (!bounds) return;
  map.fitBounds(bounds as LngLatBoundsLike, { padding: 60, maxZoom, duration: matchMedia('(prefers-reduced-motion: reduce)').matches ? 0 : 600 });
}
