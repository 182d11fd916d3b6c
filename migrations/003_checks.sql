-- Conflict-check reports (POST /api/checks). A report is immutable once written: the JSON
-- report as returned, the block (EPSG:4490) for the printable map and coordinate list, and the
-- overlap pieces for overlaps.geojson. Layer versions used are inside the report, so a report
-- can be re-read against "the plan as it was" (features as of those versions).
CREATE TABLE checks (
  id          uuid PRIMARY KEY,
  created_at  timestamptz NOT NULL DEFAULT now(),
  actor       text NOT NULL,
  role        text,
  name        text,
  activity    text NOT NULL CHECK (activity IN ('exploration', 'mining')),
  mineral     text NOT NULL,
  verdict     text NOT NULL CHECK (verdict IN ('prohibited', 'review', 'notice', 'pass')),
  area_m2     double precision NOT NULL,
  report      jsonb NOT NULL,
  geom        geometry(MultiPolygon, 4490) NOT NULL
);
CREATE INDEX checks_created_at ON checks (created_at DESC);

CREATE TABLE check_overlaps (
  id        bigserial PRIMARY KEY,
  check_id  uuid NOT NULL REFERENCES checks (id) ON DELETE CASCADE,
  finding   integer NOT NULL,           -- index into report.findings
  rule_id   text NOT NULL,
  verdict   text NOT NULL,
  layer_id  text,
  fid       text,                       -- null: the finding's whole overlap (union) or the part outside
  role      text NOT NULL CHECK (role IN ('feature', 'union', 'outside')),
  area_m2   double precision NOT NULL,  -- ellipsoidal
  geom      geometry(Geometry, 4490) NOT NULL
);
CREATE INDEX check_overlaps_check ON check_overlaps (check_id, finding);
