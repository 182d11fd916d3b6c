-- The feature store becomes a table partitioned by layer, so that a layer's first bulk load can be
-- written as ogr2ogr writes a new table: rows into a table of its own with no index yet, then the
-- indexes built once, in bulk, when that table is attached as the layer's partition
-- (server/layers/layer-partition.ts). Maintaining one GiST and three B-tree indexes row by row was
-- most of an upload's write: bench:ingest's 100 000 rows, 1.6–2.1 s into the indexed table vs
-- 0.75–0.9 s into a new table with the indexes built after (scratch, psql \timing, 2 runs each).
--
-- Every row stays where it was: the existing table is attached, unchanged and without a copy, as
-- the DEFAULT partition, which keeps every layer that has no partition of its own (all of them,
-- until a bulk load gives one its own). Reads, writes, history, diff, restore and tiles go through
-- `features` as before; PostgreSQL routes each row by its layer_id and prunes partitions by it.
--
-- What changes:
--   * the primary key is (id, layer_id): a partitioned table's unique keys must hold the
--     partition key; ids still come from one sequence, so id alone stays unique;
--   * an insert into the parent fires the parent's statement triggers (features_inserted: the
--     layer check and label points); a bulk load into a new partition fires none, so its writer
--     checks the layer (it holds the layer row FOR UPDATE) and computes the label points itself.

ALTER TABLE features RENAME TO features_default;
ALTER INDEX features_current_fid RENAME TO features_default_current_fid;
ALTER INDEX features_history RENAME TO features_default_history;
ALTER INDEX features_geom_3857 RENAME TO features_default_geom_3857;
ALTER TABLE features_default DROP CONSTRAINT features_pkey;
DROP TRIGGER features_inserted ON features_default;
DROP TRIGGER features_layer_fixed ON features_default;
DROP TRIGGER tile_label_points_prune ON features_default;

CREATE TABLE features (
  id         bigint NOT NULL DEFAULT nextval('features_id_seq'),
  layer_id   text NOT NULL,
  fid        text NOT NULL CONSTRAINT features_fid_check CHECK (length(fid) BETWEEN 1 AND 200),
  properties jsonb NOT NULL DEFAULT '{}',
  geom       geometry(Geometry, 4490) NOT NULL,
  geom_3857  geometry(Geometry, 3857) GENERATED ALWAYS AS (ST_Transform(geom, 3857)) STORED,
  valid_from integer NOT NULL,
  valid_to   integer,
  CONSTRAINT features_check CHECK (valid_to IS NULL OR valid_to > valid_from),
  PRIMARY KEY (id, layer_id)
) PARTITION BY LIST (layer_id);
ALTER SEQUENCE features_id_seq OWNED BY features.id;

-- the same indexes as before, now per partition; the default partition's existing ones are attached
CREATE UNIQUE INDEX features_current_fid ON features (layer_id, fid) WHERE valid_to IS NULL;
CREATE INDEX features_history ON features (layer_id, valid_from, valid_to);
CREATE INDEX features_geom_3857 ON features USING gist (geom_3857);

ALTER TABLE features ATTACH PARTITION features_default DEFAULT;

-- layers' own partitions live here, each named by its layer id (at most 63 characters, as an identifier)
CREATE SCHEMA IF NOT EXISTS layer_features;

CREATE TRIGGER features_inserted
  AFTER INSERT ON features REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION features_inserted();

CREATE TRIGGER features_layer_fixed
  BEFORE UPDATE OF layer_id ON features
  FOR EACH ROW WHEN (OLD.layer_id IS DISTINCT FROM NEW.layer_id)
  EXECUTE FUNCTION features_layer_fixed();

CREATE TRIGGER tile_label_points_prune
  AFTER DELETE OR TRUNCATE ON features
  FOR EACH STATEMENT EXECUTE FUNCTION tile_label_points_prune();

-- deleting a layer (psql only; the service deletes none) deletes its rows, as before, and then its
-- own partition, now empty, so that a layer created again under that id starts as a new one
CREATE OR REPLACE FUNCTION layers_delete_features() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  t regclass;
BEGIN
  DELETE FROM features f USING old_layers o WHERE f.layer_id = o.id;
  FOR t IN SELECT to_regclass(format('layer_features.%I', o.id)) FROM old_layers o LOOP
    IF t IS NOT NULL THEN
      EXECUTE format('DROP TABLE %s', t);
    END IF;
  END LOOP;
  RETURN NULL;
END
$$;
