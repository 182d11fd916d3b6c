-- How tiles generalise each layer below z14 (server/tiles/README.md, server/tiles/generalisation.ts).
-- A per-layer setting, kept as data: a layer with no row here is 'keep-all' (never drop a feature),
-- which is what every legal layer (red line, zones, blocks, rights, townships) needs. 'bulk' is for
-- layers of many small parcels, whose sub-pixel parcels may be thinned at low zoom; 'exact' turns
-- generalisation off. Rows may precede their layer (the seed runs after migrations).
CREATE TABLE tile_generalisation (
  layer_id text PRIMARY KEY CHECK (layer_id ~ '^[a-z][a-z0-9-]{1,62}$'),
  policy   text NOT NULL CHECK (policy IN ('keep-all', 'bulk', 'exact'))
);

INSERT INTO tile_generalisation (layer_id, policy) VALUES
  ('permanent-farmland', 'bulk'),
  ('cultivated-land', 'bulk');
