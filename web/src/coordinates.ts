/**
 * Cursor coordinates: CGCS2000 lon/lat (decimal degrees or 度分秒) or Gauss-Kruger zone 42
 * (X = northing, Y = easting with the zone prefix, as surveyors write them). The mode button
 * cycles; the choice is remembered for the session.
 */
import type { Map as MlMap } from 'maplibre-gl';
import { h } from './dom.ts';
import { DEHUI_ZONE, toDms, toGaussKruger } from './gauss-kruger.ts';

type Mode = 'deg' | 'dms' | 'gk';
const MODES: Mode[] = ['deg', 'dms', 'gk'];
const MODE_LABEL: Record<Mode, string> = { deg: 'CGCS2000 经纬度', dms: 'CGCS2000 度分秒', gk: `高斯-克吕格 ${DEHUI_ZONE}带（3°）` };

export function formatCoordinates(lon: number, lat: number, mode: Mode): string {
  if (mode === 'gk') {
    const p = toGaussKruger(lon, lat, DEHUI_ZONE, true);
    return `X=${p.x.toFixed(2)}  Y=${p.y.toFixed(2)}`;
  }
  if (mode === 'dms') return `东经 ${toDms(lon)}  北纬 ${toDms(lat)}`;
  return `经度 ${lon.toFixed(6)}°  纬度 ${lat.toFixed(6)}°`;
}

export function initCoordinates(el: HTMLElement, map: MlMap): void {
  let mode: Mode = (sessionStorage.getItem('dehui.coordMode') as Mode) || 'deg';
  if (!MODES.includes(mode)) mode = 'deg';
  const text = h('span', { class: 'coords-text', 'data-testid': 'coords' }, '移动鼠标查看坐标');
  const button = h('button', { type: 'button', class: 'coords-mode', title: '切换坐标显示方式' });
  let last: [number, number] | null = null;
  const render = () => {
    button.textContent = MODE_LABEL[mode];
    button.setAttribute('aria-label', `坐标显示：${MODE_LABEL[mode]}，点击切换`);
    if (last) text.textContent = formatCoordinates(last[0], last[1], mode);
  };
  button.addEventListener('click', () => {
    mode = MODES[(MODES.indexOf(mode) + 1) % MODES.length];
    sessionStorage.setItem('dehui.coordMode', mode);
    render();
  });
  map.on('mousemove', (e) => {
    last = [e.lngLat.lng, e.lngLat.lat];
    render();
  });
  // keyboard users: the map centre after a keyboard pan/zoom
  map.on('moveend', (e) => {
    if ((e as { originalEvent?: Event }).originalEvent instanceof KeyboardEvent) {
      const c = map.getCenter();
      last = [c.lng, c.lat];
      render();
    }
  });
  el.replaceChildren(button, text);
  render();
}
