-- features.layer_id → layers.id, checked once per statement instead of once per row.
--
-- The foreign key's check ran as a row trigger: an INSERT of 100 000 features fired it 100 000
-- times, each a lookup and a FOR KEY SHARE lock of the same layer row — about a quarter of the
-- store's time for an upload (EXPLAIN ANALYZE of bench:ingest's store floor: "Trigger for
-- constraint features_layer_id_fkey: calls=100000", ~1.2 s of ~5 s). The same guarantees, set-based:
--
--   * an INSERT whose rows name a layer that does not exist fails (SQLSTATE 23503, as before),
--     after locking the layers it names FOR KEY SHARE, as the foreign key did, so a concurrent
--     DELETE of the layer waits for the insert's transaction (and then removes its rows);
--   * deleting a layer deletes its features (was ON DELETE CASCADE), in one statement;
--   * a feature row never moves to another layer (the key was never updated; now it cannot be).
--
-- Every writer (layer-writes.ts) also holds the layer row FOR UPDATE for its whole transaction.

ALTER TABLE features DROP CONSTRAINT features_layer_id_fkey;

-- One statement-level trigger for every INSERT: one pass over the new rows collects their layers;
-- those are locked and checked, and only when one of them is labelled are label points computed
-- (this replaces migration 008's tile_label_points_add, which made a second pass over the new
-- rows for every insert, unlabelled layers included: ~0.25 s of a 100 000-row insert).
CREATE FUNCTION features_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  ids text[];
  missing text;
  labelled text[];
BEGIN
  SELECT array_agg(d.layer_id) INTO ids FROM (SELECT DISTINCT n.layer_id FROM new_rows n) d;
  PERFORM 1 FROM layers l WHERE l.id = ANY (ids) FOR KEY SHARE;
  SELECT i INTO missing FROM unnest(ids) i WHERE NOT EXISTS (SELECT 1 FROM layers l WHERE l.id = i) LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'insert on table "features" violates foreign key constraint "features_layer_id_fkey"'
      USING ERRCODE = 'foreign_key_violation',
            DETAIL = format('Key (layer_id)=(%s) is not present in table "layers".', missing);
  END IF;
  SELECT array_agg(l.id) INTO labelled FROM layers l WHERE l.id = ANY (ids) AND l.label_field IS NOT NULL;
  IF labelled IS NOT NULL THEN
    WITH c AS MATERIALIZED (
      SELECT n.id, n.layer_id, tile_label_point(n.geom_3857) AS point
      FROM new_rows n
      WHERE n.layer_id = ANY (labelled) AND ST_Dimension(n.geom_3857) = 2
    )
    INSERT INTO tile_label_points (feature_id, layer_id, point)
    SELECT id, layer_id, point FROM c WHERE point IS NOT NULL AND NOT ST_IsEmpty(point)
    ON CONFLICT (feature_id) DO NOTHING;
  END IF;
  RETURN NULL;
END
$$;

DROP TRIGGER tile_label_points_add ON features;
DROP FUNCTION tile_label_points_add();

CREATE TRIGGER features_inserted
  AFTER INSERT ON features REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION features_inserted();

CREATE FUNCTION features_layer_fixed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '要素不能移到另一个图层 (a feature row cannot move to another layer)'
    USING ERRCODE = 'foreign_key_violation';
END
$$;

-- fires only when an UPDATE names layer_id and changes it: closing rows (valid_to) costs nothing
CREATE TRIGGER features_layer_fixed
  BEFORE UPDATE OF layer_id ON features
  FOR EACH ROW WHEN (OLD.layer_id IS DISTINCT FROM NEW.layer_id)
  EXECUTE FUNCTION features_layer_fixed();

CREATE FUNCTION layers_delete_features() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM features f USING old_layers o WHERE f.layer_id = o.id;
  RETURN NULL;
END
$$;

CREATE TRIGGER layers_delete_features
  AFTER DELETE ON layers REFERENCING OLD TABLE AS old_layers
  FOR EACH STATEMENT EXECUTE FUNCTION layers_delete_features();
