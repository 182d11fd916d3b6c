/**
 * An invalid areal geometry made valid PART BY PART, then the parts unioned. ST_MakeValid of a
 * whole MultiPolygon (its default 'linework' method) keeps what is covered an odd number of times,
 * so where two parts overlap it cut the shared area out. Used for a check's block
 * (checks/block-geometry.ts) and for `repair=true` uploads (ingest/ingest-validate.ts).
 */
import { sql, type RawBuilder } from 'kysely';

export function validAreal(g: RawBuilder<unknown>): RawBuilder<unknown> {
  return sql`(select ST_UnaryUnion(ST_Collect(ST_CollectionExtract(ST_MakeValid(p.geom), 3))) from ST_Dump(${g}) p)`;
}
