/** Tile build time and size per layer and zoom, for /metrics (Prometheus). */
import client from 'prom-client';
import { registry } from '../http/metrics.js';

const buildSeconds = new client.Histogram({
  name: 'tile_build_seconds',
  help: 'Time to build one uncached tile',
  labelNames: ['layer', 'zoom', 'engine'],
  buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
  registers: [registry],
});
const tileBytes = new client.Histogram({
  name: 'tile_bytes',
  help: 'Size of built tiles in bytes',
  labelNames: ['layer', 'zoom'],
  buckets: [0, 1024, 8192, 65536, 262144, 524288, 1048576, 4194304],
  registers: [registry],
});

const mergedFeatures = new client.Counter({
  name: 'tile_features_merged_total',
  help: 'Sub-pixel parcels of bulk layers merged into pixel cells in built tiles (low-zoom generalisation)',
  labelNames: ['layer', 'zoom'],
  registers: [registry],
});

export const tileMetrics = {
  observe(layer: string, zoom: number, engine: string, ms: number, bytes: number, merged: Record<string, number> = {}): void {
    buildSeconds.observe({ layer, zoom: String(zoom), engine }, ms / 1000);
    tileBytes.observe({ layer, zoom: String(zoom) }, bytes);
    for (const [id, n] of Object.entries(merged)) mergedFeatures.inc({ layer: id, zoom: String(zoom) }, n);
  },
};
