-- Conflict checks, faster (server/checks/README.md "Speed"):
-- 1. check_layer_coverage: per layer VERSION, whether its current features form a coverage (no two
--    features' interiors overlap by more than 0.01 m² in all). Verified once per version by a GiST
--    self-join (server/checks/coverage.ts); a check then sums its pieces' areas for such a layer
--    instead of unioning them. A layer with no row for its current version is unioned (always correct).
-- 2. check_feature_areas: the own ellipsoidal area (areas.ts) of each current feature row of a
--    verified coverage, computed with the verification. A feature wholly inside a block is its
--    own piece, so its area is read here instead of measured again. Feature rows never change
--    (a changed feature is a new row), so a stored area never goes stale.
-- 3. Overlap pieces are written by the same SQL statement that computes them (no geometry travels
--    through Node), before the report row exists: the foreign key is checked at commit instead.
-- 4. check_overlaps.finding becomes optional: the finding of a piece is the report's finding of the
--    same rule_id (one finding per rule); rows written before this migration keep their index.
CREATE TABLE check_layer_coverage (
  layer_id      text NOT NULL REFERENCES layers (id) ON DELETE CASCADE,
  version       integer NOT NULL,
  disjoint      boolean NOT NULL,
  features      integer NOT NULL,
  overlap_pairs integer NOT NULL,
  overlap_m2    double precision NOT NULL,  -- ellipsoidal, summed over the overlapping pairs
  example       text,                       -- one overlapping pair "fid / fid", for the audit report
  ms            double precision NOT NULL,
  checked_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (layer_id, version)
);

CREATE TABLE check_feature_areas (
  feature_id bigint PRIMARY KEY,   -- features.id (a row, not a fid)
  area_m2    double precision NOT NULL
);

ALTER TABLE check_overlaps ALTER COLUMN finding DROP NOT NULL;
ALTER TABLE check_overlaps ALTER CONSTRAINT check_overlaps_check_id_fkey DEFERRABLE INITIALLY DEFERRED;
