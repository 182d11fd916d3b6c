/**
 * Tiles: resolve layer versions, pick the engine, cache by version. A tile key always carries
 * the layer versions it was drawn from, so a write (new version) can never be answered from a
 * stale cache entry — on this instance or any other sharing the database.
 */
import { LRUCache } from 'lru-cache';
import { sql } from 'kysely';
import type { Db } from '../db/connect.js';
import type { AttributeDef } from '../db/schema.js';
import { BadRequestError, NotFoundError } from '../errors.js';
import { GeojsonVtTileEngine } from './engine-geojsonvt.js';
import { PostgisTileEngine } from './engine-postgis.js';
import { tileMetrics } from './tile-metrics.js';
import type { TileCoord } from './tile-math.js';
import { RESERVED_TILE_PROPERTIES, type TileEngine, type TileLayerSource } from './tile-source.js';

export interface TileServiceOptions {
  /** in-process cache bound, bytes */
  cacheBytes?: number;
  /** on PostgreSQL, zooms below this use the in-memory geojson-vt index instead of ST_AsMVT */
  postgisMinZoom?: number;
}

export interface TileResult {
  body: Buffer;
  /** e.g. "permanent-farmland@3" or "a@1,b@4": the versions drawn */
  stamp: string;
  /** true when the request named its versions (then the response never changes) */
  immutable: boolean;
  engine: string;
  cached: boolean;
}

const LAYER_ID = /^[a-z][a-z0-9-]{1,62}$/;

export class TileService {
  readonly primary: TileEngine;
  readonly memory: GeojsonVtTileEngine;
  private readonly cache: LRUCache<string, Buffer>;
  private readonly postgisMinZoom: number;

  constructor(
    private readonly db: Db,
    options: TileServiceOptions = {},
  ) {
    this.memory = new GeojsonVtTileEngine(db.kysely);
    this.primary = db.capabilities.mvt ? new PostgisTileEngine(db.kysely) : this.memory;
    this.postgisMinZoom = options.postgisMinZoom ?? 0;
    // cacheBytes 0 turns the cache off (benchmarks of the uncached path); lru-cache needs maxSize ≥ 1.
    const cacheBytes = options.cacheBytes ?? 256 * 1024 * 1024;
    this.cache = new LRUCache({ maxSize: Math.max(1, cacheBytes), sizeCalculation: (b, k) => (cacheBytes === 0 ? 2 : b.length + k.length + 64) });
  }

  engineFor(z: number): TileEngine {
    return this.primary.name === 'postgis' && z < this.postgisMinZoom ? this.memory : this.primary;
  }

  /** "a,b" → ['a','b']; each must be a well-formed layer id */
  static parseLayerIds(raw: string): string[] {
    const ids = raw.split(',');
    if (ids.length > 16) throw new BadRequestError('一次最多组合16个图层 (at most 16 layers in one tile)', { parameter: 'layer' });
    for (const id of ids) if (!LAYER_ID.test(id)) throw new BadRequestError(`图层编号格式错误 (malformed layer id "${id}")`, { parameter: 'layer' });
    return ids;
  }

  /** versions: "3" or "3.1.5" (one per layer, in order) from ?v= or ?version= */
  async sources(layerIds: string[], versions?: string): Promise<TileLayerSource[]> {
    const rows = await sql<{ id: string; version: number; attributes: AttributeDef[] }>`
      select id, version, attributes from layers where id = any(${layerIds}::text[])`.execute(this.db.kysely);
    const requested = versions?.split('.');
    if (requested && (requested.length !== layerIds.length || requested.some((v) => !/^\d{1,9}$/.test(v)))) {
      throw new BadRequestError(`版本参数应为每个图层一个整数，以"."分隔 (v must be one integer per layer, "." separated)`, { parameter: 'v' });
    }
    return layerIds.map((id, i) => {
      const row = rows.rows.find((r) => r.id === id);
      if (!row) throw new NotFoundError(`图层不存在 (no layer "${id}")`, { layer: id });
      const version = requested ? Number(requested[i]) : row.version;
      if (version < 1 || version > row.version) {
        throw new NotFoundError(`图层 ${id} 没有版本 ${version} (layer "${id}" has versions 1–${row.version})`, { layer: id, version });
      }
      return {
        layerId: id,
        version,
        current: version === row.version,
        properties: row.attributes.filter((a) => !RESERVED_TILE_PROPERTIES.has(a.name)).map((a) => ({ name: a.name, type: a.type })),
      };
    });
  }

  /** A versioned request (?v=) is answered from cache without touching the database. */
  async tile(layerIds: string[], tile: TileCoord, versions?: string): Promise<TileResult> {
    const engine = this.engineFor(tile.z);
    if (versions) {
      const stamp = layerIds.map((id, i) => `${id}@${versions.split('.')[i]}`).join(',');
      const hit = this.cache.get(`${stamp}/${tile.z}/${tile.x}/${tile.y}`);
      if (hit) return { body: hit, stamp, immutable: true, engine: engine.name, cached: true };
    }
    const sources = await this.sources(layerIds, versions);
    const stamp = sources.map((s) => `${s.layerId}@${s.version}`).join(',');
    const key = `${stamp}/${tile.z}/${tile.x}/${tile.y}`;
    const hit = this.cache.get(key);
    if (hit) return { body: hit, stamp, immutable: Boolean(versions), engine: engine.name, cached: true };
    const started = performance.now();
    const body = await engine.render(sources, tile);
    tileMetrics.observe(layerIds.join(','), tile.z, engine.name, performance.now() - started, body.length);
    this.cache.set(key, body);
    return { body, stamp, immutable: Boolean(versions), engine: engine.name, cached: false };
  }
}
