/**
 * Tiles: resolve layer versions, pick the engine, cache by version. A tile key always carries
 * the layer versions it was drawn from, so a write (new version) can never be answered from a
 * stale cache entry — on this instance or any other sharing the database.
 *
 * Round trips: a versioned request (?v=) found in the LRU touches no database. A current-version
 * request on PostGIS costs one statement per layer, which returns the layer's version in the same
 * snapshot as its tile (engine-postgis.ts renderCurrent): the statement is shaped from the layer's
 * attributes, label field and policy kept in-process (`layerMeta`), and checks them in the database too — when
 * they changed, the meta is reloaded and the request takes the two-step path (version lookup, then
 * render). When the LRU holds the tile at the versions last seen, the request takes that two-step
 * path too: its first step, the version lookup, is all a hit costs (a write since → a render).
 * (A tile statement that skips itself on an unchanged version was tried: its planning, and JIT
 * compilation where on, cost more than the version lookup.)
 */
import zlib from 'node:zlib';
import { LRUCache } from 'lru-cache';
import { sql } from 'kysely';
import type { Db } from '../db/connect.js';
import type { AttributeDef } from '../db/schema.js';
import { BadRequestError, NotFoundError } from '../errors.js';
import { GeojsonVtTileEngine } from './engine-geojsonvt.js';
import { DEFAULT_POLICY, generalises, type GeneralisationPolicy } from './generalisation.js';
import { PostgisTileEngine, type CurrentLayerTile, type LayerShape } from './engine-postgis.js';
import { tileMetrics } from './tile-metrics.js';
import type { TileCoord } from './tile-math.js';
import { hasLabelPoints, RESERVED_TILE_PROPERTIES, type RenderedTile, type TileEngine, type TileLayerSource } from './tile-source.js';

export interface TileServiceOptions {
  /** in-process cache bound, bytes */
  cacheBytes?: number;
  /** on PostgreSQL, zooms below this use the in-memory geojson-vt index instead of ST_AsMVT */
  postgisMinZoom?: number;
  /** geojson-vt's layer@version indexes, estimated heap at most (engine-geojsonvt.ts; default 1 GiB) */
  indexBytes?: number;
}

export interface TileResult {
  body: Buffer;
  /** e.g. "permanent-farmland@3" or "a@1,b@4": the versions drawn */
  stamp: string;
  /** true when the request named its versions (then the response never changes) */
  immutable: boolean;
  engine: string;
  cached: boolean;
  /** X-Tile-Generalised: "layer=policy,…" for the layers generalised in this tile (below z14); null when exact */
  generalised: string | null;
  /** X-Tile-Merged: "layer=count,…" sub-pixel parcels of bulk layers merged into pixel cells; null when none */
  merged: string | null;
  /** the body gzip-compressed, when the cache has it */
  gzip?: Buffer;
}

/** what the LRU keeps per tile */
interface CachedTile {
  body: Buffer;
  /** the body gzip-compressed, once compressed (off the request path): served to clients that accept it */
  gzip?: Buffer;
  generalised: string | null;
  merged: string | null;
}

/** tiles smaller than this are not worth compressing */
const GZIP_MIN_BYTES = 1024;

const LAYER_ID = /^[a-z][a-z0-9-]{1,62}$/;

/** a layer's tile-shaping data as last read, and the version it was read at */
interface LayerMeta extends LayerShape {
  version: number;
  properties: TileLayerSource['properties'];
  generalisation: GeneralisationPolicy;
  label: string | null;
}

export class TileService {
  readonly primary: TileEngine;
  readonly memory: GeojsonVtTileEngine;
  private readonly cache: LRUCache<string, CachedTile>;
  private readonly postgisMinZoom: number;
  private readonly cacheBytes: number;
  /** per layer id (only layers that exist; a handful): see the header */
  private readonly layerMeta = new Map<string, LayerMeta>();

  constructor(
    private readonly db: Db,
    options: TileServiceOptions = {},
  ) {
    this.memory = new GeojsonVtTileEngine(db.kysely, options.indexBytes);
    this.primary = db.capabilities.mvt ? new PostgisTileEngine(db.kysely, db.prepared) : this.memory;
    this.postgisMinZoom = options.postgisMinZoom ?? 0;
    // cacheBytes 0 turns the cache off (benchmarks of the uncached path); lru-cache needs maxSize ≥ 1.
    const cacheBytes = options.cacheBytes ?? 256 * 1024 * 1024;
    this.cacheBytes = cacheBytes;
    this.cache = new LRUCache({ maxSize: Math.max(1, cacheBytes), sizeCalculation: (t, k) => (cacheBytes === 0 ? 2 : t.body.length + (t.gzip?.length ?? 0) + k.length + 128) });
  }

  engineFor(z: number): TileEngine {
    return this.primary.name === 'postgis' && z < this.postgisMinZoom ? this.memory : this.primary;
  }

  /** "a,b" → ['a','b']; each must be a well-formed layer id */
  static parseLayerIds(raw: string): string[] {
    const ids = raw.split(',');
    if (ids.length > 16) throw new BadRequestError('一次最多组合16个图层 (at most 16 layers in one tile)', { parameter: 'layer' });
    for (const id of ids) if (!LAYER_ID.test(id)) throw new BadRequestError(`图层编号格式错误 (malformed layer id "${id}")`, { parameter: 'layer' });
    // MVT 2.1 §4.1: layer names are unique in a tile (PostGIS would concatenate two layers "a")
    const twice = ids.find((id, i) => ids.indexOf(id) !== i);
    if (twice) throw new BadRequestError(`图层“${twice}”重复 (layer "${twice}" named twice)`, { parameter: 'layer' });
    return ids;
  }

  /** ?v= / ?version=: one integer per layer, "." separated — checked before any cache lookup */
  static parseVersions(layerIds: string[], versions: string): string[] {
    const requested = versions.split('.');
    if (requested.length !== layerIds.length || requested.some((v) => !/^\d{1,9}$/.test(v))) {
      throw new BadRequestError(`版本参数应为每个图层一个整数，以"."分隔 (v must be one integer per layer, "." separated)`, { parameter: 'v' });
    }
    return requested;
  }

  /** versions: "3" or "3.1.5" (one per layer, in order) from ?v= or ?version= */
  async sources(layerIds: string[], versions?: string): Promise<TileLayerSource[]> {
    const rows = await sql<{ id: string; version: number; attributes: AttributeDef[]; policy: GeneralisationPolicy | null; label_field: string | null; geometry_type: string }>`
      select l.id, l.version, l.attributes, g.policy, l.label_field, l.geometry_type from layers l left join tile_generalisation g on g.layer_id = l.id
      where l.id = any(${layerIds}::text[])`.execute(this.db.kysely);
    const requested = versions === undefined ? undefined : TileService.parseVersions(layerIds, versions);
    for (const row of rows.rows) {
      const attributesJson = JSON.stringify(row.attributes);
      const generalisation = row.policy ?? DEFAULT_POLICY;
      const prev = this.layerMeta.get(row.id);
      // the same shape keeps its object (the engine's prepared statements are keyed by it)
      if (prev && prev.attributesJson === attributesJson && prev.labelField === row.label_field && prev.geometryType === row.geometry_type && prev.generalisation === generalisation) {
        prev.version = row.version;
        continue;
      }
      this.layerMeta.set(row.id, {
        version: row.version,
        attributesJson,
        labelField: row.label_field,
        geometryType: row.geometry_type,
        properties: tileProperties(row.attributes),
        generalisation,
        label: labelOf(row),
      });
    }
    return layerIds.map((id, i) => {
      const row = rows.rows.find((r) => r.id === id);
      if (!row) throw new NotFoundError(`图层不存在 (no layer "${id}")`, { layer: id });
      const version = requested ? Number(requested[i]) : row.version;
      // version 0: a layer as created, before its first upload — no features, an empty tile
      if (version > row.version) {
        throw new NotFoundError(`图层 ${id} 没有版本 ${version} (layer "${id}" has versions 0–${row.version})`, { layer: id, version });
      }
      return {
        layerId: id,
        version,
        current: version === row.version,
        properties: tileProperties(row.attributes),
        generalisation: row.policy ?? DEFAULT_POLICY,
        label: labelOf(row),
      };
    });
  }

  /** A versioned request (?v=) is answered from cache without touching the database. */
  async tile(layerIds: string[], tile: TileCoord, versions?: string): Promise<TileResult> {
    const engine = this.engineFor(tile.z);
    if (versions) {
      const requested = TileService.parseVersions(layerIds, versions);
      const stamp = layerIds.map((id, i) => `${id}@${Number(requested[i])}`).join(',');
      const hit = this.cache.get(`${stamp}/${tile.z}/${tile.x}/${tile.y}`);
      if (hit) return { ...hit, stamp, immutable: true, engine: engine.name, cached: true };
    } else if (engine instanceof PostgisTileEngine) {
      const fast = await this.currentTile(engine, layerIds, tile);
      if (fast) return fast;
    }
    const sources = await this.sources(layerIds, versions);
    const stamp = sources.map((s) => `${s.layerId}@${s.version}`).join(',');
    const key = `${stamp}/${tile.z}/${tile.x}/${tile.y}`;
    const hit = this.cache.get(key);
    if (hit) return { ...hit, stamp, immutable: Boolean(versions), engine: engine.name, cached: true };
    const started = performance.now();
    const rendered = await engine.render(sources, tile);
    const entry = this.store(key, sources, tile, engine.name, started, rendered);
    return { ...entry, stamp, immutable: Boolean(versions), engine: engine.name, cached: false };
  }

  /**
   * A current-version tile in one statement per layer (see the header), or null when the caller
   * must take the two-step path: a layer not seen yet, gone, or whose attributes or policy changed
   * (its meta is then dropped), or the tile cached at the versions last seen (a probable hit).
   */
  private async currentTile(engine: PostgisTileEngine, layerIds: string[], tile: TileCoord): Promise<TileResult | null> {
    const metas = layerIds.map((id) => this.layerMeta.get(id));
    if (metas.some((m) => !m)) return null;
    const known = metas as LayerMeta[];
    const where = `/${tile.z}/${tile.x}/${tile.y}`;
    const knownStamp = layerIds.map((id, i) => `${id}@${known[i].version}`).join(',');
    // cached at the versions last seen: the version lookup decides (lru-cache's has() leaves recency alone)
    if (this.cache.has(knownStamp + where)) return null;
    const sources: TileLayerSource[] = layerIds.map((id, i) => ({
      layerId: id,
      version: known[i].version,
      current: true,
      properties: known[i].properties,
      generalisation: known[i].generalisation,
      label: known[i].label,
    }));
    const started = performance.now();
    const parts = await Promise.all(
      sources.map((s, i) => engine.renderCurrent(s, tile, known[i])),
    );
    let usable = true;
    parts.forEach((p, i) => {
      if (!p || !p.same) {
        this.layerMeta.delete(layerIds[i]);
        usable = false;
      } else if (this.layerMeta.get(layerIds[i]) === known[i]) {
        known[i].version = p.version;
      }
    });
    if (!usable) return null;
    const current = parts as CurrentLayerTile[];
    const stamp = layerIds.map((id, i) => `${id}@${current[i].version}`).join(',');
    const key = stamp + where;
    const buffers = current.filter((p) => p.mvt && p.mvt.length).map((p) => p.mvt!);
    const merged: Record<string, number> = {};
    current.forEach((p, i) => {
      if (p.merged) merged[layerIds[i]] = p.merged;
    });
    const body = buffers.length === 1 ? Buffer.from(buffers[0]) : Buffer.concat(buffers);
    const drawn = sources.map((s, i) => ({ ...s, version: current[i].version }));
    const entry = this.store(key, drawn, tile, engine.name, started, { body, merged });
    return { ...entry, stamp, immutable: false, engine: engine.name, cached: false };
  }

  /** a freshly rendered tile → metrics, the LRU (gzip filled in later) */
  private store(key: string, sources: TileLayerSource[], tile: TileCoord, engineName: string, started: number, rendered: RenderedTile): CachedTile {
    const generalisedLayers = sources.filter((s) => generalises(s.generalisation, tile.z));
    const entry: CachedTile = {
      body: rendered.body,
      generalised: generalisedLayers.length ? generalisedLayers.map((s) => `${s.layerId}=${s.generalisation}`).join(',') : null,
      merged: Object.keys(rendered.merged).length ? Object.entries(rendered.merged).map(([id, n]) => `${id}=${n}`).join(',') : null,
    };
    // one series per layer, and one for all composites: a label per layer list would let clients
    // mint series without bound (any order and subset of the layers, found by a review)
    tileMetrics.observe(sources.length === 1 ? sources[0].layerId : 'composite', tile.z, engineName, performance.now() - started, rendered.body.length, rendered.merged);
    this.cache.set(key, entry);
    if (this.cacheBytes > 0 && entry.body.length >= GZIP_MIN_BYTES) {
      // Compressed once, in libuv's thread pool, while this response goes out uncompressed; then
      // re-set so the LRU counts the extra bytes (and not if the entry was evicted meanwhile).
      zlib.gzip(entry.body, { level: 6 }, (err, gz) => {
        if (err || gz.length >= entry.body.length || this.cache.get(key) !== entry) return;
        entry.gzip = gz;
        this.cache.set(key, entry);
      });
    }
    return entry;
  }
}

/** the label attribute of a layer with label points (tile-source.ts hasLabelPoints), else null */
function labelOf(row: { label_field: string | null; geometry_type: string }): string | null {
  return hasLabelPoints({ labelField: row.label_field, geometryType: row.geometry_type }) ? row.label_field : null;
}

/** the attributes a tile carries as properties */
function tileProperties(attributes: AttributeDef[]): TileLayerSource['properties'] {
  return attributes.filter((a) => !RESERVED_TILE_PROPERTIES.has(a.name)).map((a) => ({ name: a.name, type: a.type }));
}
