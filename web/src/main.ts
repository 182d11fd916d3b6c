/**
 * The viewer: map, layer list and legend, search, feature attributes, cursor coordinates,
 * and the role-gated panels (checks, uploads, history/restore). Only this file wires modules.
 */
import type { Map as MlMap, StyleSpecification, VectorTileSource } from 'maplibre-gl';
import './styles.css';
import { describeError, listLayers, type LayerSummary } from './api.ts';
import { applyVisibility, initAuth, onAuthChange } from './auth.ts';
import { renderCheckPanel } from './check-panel.ts';
import { initCoordinates } from './coordinates.ts';
import { toast } from './dom.ts';
import { initFeatureInfo } from './feature-info.ts';
import { renderHistoryPanel } from './history-panel.ts';
import { renderLayersPanel } from './layers-panel.ts';
import { createMap } from './map.ts';
import { initSearch } from './search.ts';
import { renderUploadPanel } from './upload-panel.ts';

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;

/** ARIA tabs: click or arrow keys; a tab hidden for the role falls back to the first. */
function initTabs(onShow: (panelId: string) => void): { select: (tabId: string) => void } {
  const tabs = [...document.querySelectorAll<HTMLButtonElement>('[role="tab"]')];
  const select = (tab: HTMLButtonElement, focus = false) => {
    for (const t of tabs) {
      const on = t === tab;
      t.setAttribute('aria-selected', String(on));
      t.tabIndex = on ? 0 : -1;
      $(t.getAttribute('aria-controls')!).hidden = !on;
    }
    if (focus) tab.focus();
    onShow(tab.getAttribute('aria-controls')!);
  };
  for (const t of tabs) {
    t.addEventListener('click', () => select(t));
    t.addEventListener('keydown', (e) => {
      const visible = tabs.filter((x) => !x.hidden);
      const i = visible.indexOf(t);
      const next = e.key === 'ArrowRight' || e.key === 'ArrowDown' ? visible[(i + 1) % visible.length] : e.key === 'ArrowLeft' || e.key === 'ArrowUp' ? visible[(i - 1 + visible.length) % visible.length] : e.key === 'Home' ? visible[0] : e.key === 'End' ? visible.at(-1) : null;
      if (next) {
        e.preventDefault();
        select(next, true);
      }
    });
  }
  select(tabs[0]);
  onAuthChange(() => {
    const current = tabs.find((t) => t.getAttribute('aria-selected') === 'true');
    if (current?.hidden) select(tabs[0]);
  });
  return { select: (id) => select(tabs.find((t) => t.id === id) ?? tabs[0]) };
}

/**
 * After an upload or restore, point the map's sources at their new versioned tile URLs: every
 * source whose URL changed (a restore or upload may touch more than the layer chosen).
 */
async function refreshLayerTiles(map: MlMap): Promise<void> {
  const style = (await (await fetch('/styles/default.json', { cache: 'no-cache' })).json()) as StyleSpecification;
  for (const [id, src] of Object.entries(style.sources ?? {})) {
    const current = map.getSource(id) as VectorTileSource | undefined;
    const tiles = (src as { tiles?: string[] }).tiles;
    if (tiles && current?.setTiles && JSON.stringify(current.tiles) !== JSON.stringify(tiles)) current.setTiles(tiles);
  }
}

async function start(): Promise<void> {
  initAuth();
  const status = $('map-status');
  const setStatus = (t: string) => {
    status.textContent = t;
    status.hidden = !t;
  };
  let layers: LayerSummary[] = [];
  const { map, style } = await createMap($('map'), setStatus);
  // after the style: on the embedded database both requests queue for one connection
  layers = await listLayers().catch((err) => {
    toast(`无法读取图层列表：${describeError(err)}`);
    return [];
  });

  renderLayersPanel($('panel-layers'), map, style, layers);
  initCoordinates($('coords'), map);
  initFeatureInfo(map);
  initSearch(map, () => layers);
  renderCheckPanel($('panel-check'), map);

  const reload = async (layerId: string, by: 'upload' | 'restore') => {
    layers = await listLayers().catch(() => layers);
    await refreshLayerTiles(map).catch(() => undefined);
    history.refresh({ layerId, by });
  };
  renderUploadPanel($('panel-upload'), map, () => layers, (id) => void reload(id, 'upload'));
  const history = renderHistoryPanel($('panel-history'), map, () => layers, (id) => void reload(id, 'restore'));
  initTabs((panelId) => {
    if (panelId === 'panel-history') history.refresh();
    // the map area changes size when the panel scrolls on narrow screens
    map.resize();
  });
  applyVisibility();
  window.__viewer!.wired = true;
}

start().catch((err) => {
  console.error(err);
  toast(`地图无法启动：${describeError(err)}`, 60000);
});
