-- The versioned layer store. Nothing is overwritten: a write closes rows (valid_to = new
-- version) and inserts new ones (valid_from = new version), so history, diff, "as of version"
-- and restore are queries. Geometry is stored in EPSG:4490 (CGCS2000 lon/lat), with a
-- generated EPSG:3857 copy for tiles; both are GiST-indexed.

CREATE TABLE layers (
  id            text PRIMARY KEY CHECK (id ~ '^[a-z][a-z0-9-]{1,62}$'),
  title         text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
  kind          text NOT NULL CHECK (kind IN ('admin', 'zone', 'block', 'right', 'constraint', 'other')),
  group_title   text,
  geometry_type text NOT NULL CHECK (geometry_type IN ('Polygon', 'MultiPolygon', 'Point', 'MultiPoint', 'LineString', 'MultiLineString')),
  description   text,
  attributes    jsonb NOT NULL DEFAULT '[]',
  label_field   text,
  style         jsonb NOT NULL DEFAULT '{}',
  minzoom       integer NOT NULL DEFAULT 0 CHECK (minzoom BETWEEN 0 AND 22),
  sort_order    integer NOT NULL DEFAULT 0,
  version       integer NOT NULL DEFAULT 0,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE layer_versions (
  layer_id      text NOT NULL REFERENCES layers (id) ON DELETE CASCADE,
  version       integer NOT NULL CHECK (version > 0),
  created_at    timestamptz NOT NULL DEFAULT now(),
  author        text NOT NULL,
  note          text,
  source        jsonb,
  added         integer NOT NULL DEFAULT 0,
  removed       integer NOT NULL DEFAULT 0,
  changed       integer NOT NULL DEFAULT 0,
  feature_count integer NOT NULL DEFAULT 0,
  restored_from integer,
  PRIMARY KEY (layer_id, version)
);

CREATE TABLE features (
  id         bigserial PRIMARY KEY,
  layer_id   text NOT NULL REFERENCES layers (id) ON DELETE CASCADE,
  fid        text NOT NULL CHECK (length(fid) BETWEEN 1 AND 200),
  properties jsonb NOT NULL DEFAULT '{}',
  geom       geometry(Geometry, 4490) NOT NULL,
  geom_3857  geometry(Geometry, 3857) GENERATED ALWAYS AS (ST_Transform(geom, 3857)) STORED,
  valid_from integer NOT NULL,
  valid_to   integer,
  CHECK (valid_to IS NULL OR valid_to > valid_from)
);

-- One current row per feature id; history rows are unconstrained.
CREATE UNIQUE INDEX features_current_fid ON features (layer_id, fid) WHERE valid_to IS NULL;
CREATE INDEX features_history ON features (layer_id, valid_from, valid_to);
CREATE INDEX features_geom ON features USING gist (geom);
CREATE INDEX features_geom_3857 ON features USING gist (geom_3857);

-- 全过程留痕: append-only; the API has no route that updates or deletes it.
CREATE TABLE audit (
  id      bigserial PRIMARY KEY,
  at      timestamptz NOT NULL DEFAULT now(),
  actor   text NOT NULL,
  role    text,
  action  text NOT NULL,
  target  text,
  ip      text,
  result  text NOT NULL,
  details jsonb
);
CREATE INDEX audit_at ON audit (at DESC);

CREATE TABLE meta (
  key   text PRIMARY KEY,
  value text NOT NULL
);
