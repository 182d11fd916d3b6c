/**
 * runCheck: one proposed block → one stored report. Reads (layer versions, overlaps) and the
 * insert happen in one transaction, REPEATABLE READ on PostgreSQL, so the versions named in the
 * report are the data the findings were computed from, and a failure stores nothing.
 */
import crypto from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { Schema } from '../db/schema.js';
import { areaFigures } from './areas.js';
import { buildBlock } from './block-geometry.js';
import type { CheckInput } from './check-request.js';
import { ACTIVITY_LABELS, type CheckReport } from './check-report.js';
import { insertCheck, type StoredPiece } from './check-store.js';
import { readSourceGeometry } from './input-geometry.js';
import { evaluateRules, ruleLayer, type LayerInfo } from './rule-evaluation.js';
import { minimumScales, RULES, RULES_DOCUMENT, VERDICT_LABELS, worstVerdict, type MinimumScale, type Rule } from './rules.js';

export interface CheckOptions {
  actor: string;
  role: string | null;
  maxVertices: number;
  /** features listed per finding (the total is always given) */
  topN?: number;
  rules?: readonly Rule[];
  scales?: MinimumScale[];
}

export const DEFAULT_TOP_N = 50;

/** Current version and title of the layers the rules look at. */
export async function loadLayerInfo(db: Kysely<Schema>, rules: readonly Rule[]): Promise<Map<string, LayerInfo>> {
  const ids = [...new Set(rules.map(ruleLayer).filter((l): l is string => l !== null))];
  const rows = await db.selectFrom('layers').select(['id', 'title', 'version']).where('id', 'in', ids).execute();
  return new Map(rows.map((r) => [r.id, { id: r.id, title: r.title, version: r.version }]));
}

export async function runCheck(db: Kysely<Schema>, input: CheckInput, options: CheckOptions): Promise<CheckReport> {
  const source = readSourceGeometry(input.source, options.maxVertices); // 413/422 before touching the database
  const rules = options.rules ?? RULES;
  const topN = options.topN ?? DEFAULT_TOP_N;
  return db.transaction().setIsolationLevel('repeatable read').execute(async (trx) => {
    const block = await buildBlock(trx, source);
    const layers = await loadLayerInfo(trx, rules);
    const subject = { activity: input.activity, mineral: input.mineral, scale: input.scale, ewkb: block.ewkb, areaM2: block.areaM2 };
    const { findings, hits, skipped } = await evaluateRules(rules, { db: trx, subject, layers, scales: options.scales ?? minimumScales(), topN });
    const id = crypto.randomUUID();
    const verdict = worstVerdict(findings.map((f) => f.verdict));
    const declaredM2 = source.declaredAreaHa === null ? null : source.declaredAreaHa * 10_000;
    const used = new Set(findings.map((f) => f.layer).concat(rules.map(ruleLayer)));
    const report: CheckReport = {
      id,
      createdAt: new Date().toISOString(),
      createdBy: options.actor,
      name: input.name,
      activity: input.activity,
      activityLabel: ACTIVITY_LABELS[input.activity],
      mineral: input.mineral,
      scale: input.scale,
      input: {
        format: source.format,
        crs: source.crsLabel,
        vertexCount: source.vertexCount,
        repaired: block.repaired,
        declaredArea: declaredM2 === null ? null : areaFigures(declaredM2),
        declaredDifferenceM2: declaredM2 === null ? null : Math.round((block.areaM2 - declaredM2) * 100) / 100,
      },
      block: { area: areaFigures(block.areaM2), bbox: block.bbox },
      verdict,
      verdictLabel: VERDICT_LABELS[verdict],
      findings,
      warnings: block.warnings,
      skippedRules: skipped,
      layerVersions: Object.fromEntries([...layers.values()].filter((l) => used.has(l.id)).map((l) => [l.id, l.version])),
      rulesVersion: RULES_DOCUMENT.version,
      links: { self: `/api/checks/${id}`, overlaps: `/api/checks/${id}/overlaps.geojson`, html: `/api/checks/${id}/report.html` },
    };
    await insertCheck(trx, report, block.ewkb, options.role, piecesOf(findings, hits));
    return report;
  });
}

/** Per finding: its whole geometry (union / outside) and each listed feature's piece. */
function piecesOf(findings: CheckReport['findings'], hits: Awaited<ReturnType<typeof evaluateRules>>['hits']): StoredPiece[] {
  return findings.flatMap((f, i) => {
    const hit = hits[i];
    const base = { finding: i, ruleId: f.ruleId, verdict: f.verdict, layer: f.layer };
    const whole: StoredPiece[] = hit.geometry
      ? [{ ...base, fid: null, name: null, role: hit.measure === 'outside' ? 'outside' : 'union', areaM2: hit.areaM2 ?? 0, ewkb: hit.geometry }]
      : [];
    return whole.concat(hit.top.map((t) => ({ ...base, fid: t.fid, name: t.name, role: 'feature' as const, areaM2: t.areaM2, ewkb: t.piece })));
  });
}

/** For tests and the benchmark: count stored checks. */
export async function countChecks(db: Kysely<Schema>): Promise<number> {
  const r = await sql<{ n: number }>`select count(*)::int as n from checks`.execute(db);
  return r.rows[0].n;
}
