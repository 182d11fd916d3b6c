/**
 * Loads a dataset directory (layers.json + one <layer-id>.geojson per layer) into an empty
 * store, in ONE transaction: a crash mid-seed leaves nothing, and seeding an already-seeded
 * database does nothing. Concurrent instances serialise on a transaction advisory lock.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql, type Kysely } from 'kysely';
import type { Schema } from '../db/schema.js';
import { analyzeFeatures } from '../db/statistics.js';
import { insertLayer, type LayerDefinition } from './layer-registry.js';
import { writeInTransaction, type FeatureInput } from './layer-writes.js';

export const DEHUI_DATASET_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../data/geojson');
const SEED_LOCK_KEY = 4_220_184;

export interface SeedResult {
  seeded: boolean;
  layers: number;
  features: number;
  ms: number;
}

export async function readLayerDefinitions(dir: string): Promise<LayerDefinition[]> {
  return JSON.parse(await fs.readFile(path.join(dir, 'layers.json'), 'utf8')) as LayerDefinition[];
}

/** `ownPartitionRows`: config OWN_PARTITION_ROWS (layer-partition.ts) */
export async function seedDataset(db: Kysely<Schema>, dir = DEHUI_DATASET_DIR, name = 'dehui', ownPartitionRows?: number): Promise<SeedResult> {
  const started = performance.now();
  const definitions = await readLayerDefinitions(dir);
  const result = await db.transaction().execute(async (trx) => {
    await sql`select pg_advisory_xact_lock(${SEED_LOCK_KEY})`.execute(trx);
    const done = await trx.selectFrom('meta').select('value').where('key', '=', 'seed').executeTakeFirst();
    const anyLayer = await trx.selectFrom('layers').select('id').limit(1).executeTakeFirst();
    if (done || anyLayer) return { seeded: false, layers: 0, features: 0, ms: performance.now() - started };
    let features = 0;
    for (const [i, def] of definitions.entries()) {
      await insertLayer(trx, def, (i + 1) * 10);
      const file = path.join(dir, `${def.id}.geojson`);
      const collection = JSON.parse(await fs.readFile(file, 'utf8')) as { features: FeatureInput[] };
      const result = await writeInTransaction(trx, {
        layerId: def.id,
        mode: 'replace',
        features: collection.features,
        author: 'seed',
        note: '初始数据：德惠市矿产资源总体规划（2021—2025年）',
        source: { fileName: `${def.id}.geojson`, dataset: name },
        ownPartitionFrom: ownPartitionRows,
      });
      features += result.featureCount;
    }
    await trx.insertInto('meta').values({ key: 'seed', value: `${name}@${new Date().toISOString()}` }).execute();
    return { seeded: true, layers: definitions.length, features, ms: performance.now() - started };
  });
  if (result.seeded) await analyzeFeatures(db);
  return result;
}
