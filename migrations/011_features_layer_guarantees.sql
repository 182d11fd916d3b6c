-- Migration 009 replaced the features → layers foreign key by statement-level triggers; a review
-- found three ways in which they promised less than the key did. Closed here:
--
-- 1. features_inserted locked the layers and checked for missing ones in two statements (two
--    snapshots in READ COMMITTED): a layer committed between them was found but never locked, so a
--    concurrent DELETE of it did not wait and the new rows outlived their layer. Now the rows the
--    locking statement itself returns are the layers that exist — lock and check are one query,
--    as in the foreign key's own check.
-- 2. Renaming a layer (UPDATE layers SET id) orphaned its features; layer ids are the public
--    contract (URLs, tiles, styles), so a rename is refused.
-- 3. TRUNCATE layers … CASCADE left every feature; it now truncates features too.
--
-- What the key did and these triggers do not: under REPEATABLE READ or SERIALIZABLE, a DELETE of a
-- layer does not see (and so does not delete) features another transaction committed after its
-- snapshot; the key's cascade would have failed with a serialization error. The service deletes no
-- layers; delete them in READ COMMITTED (psql's default).

CREATE OR REPLACE FUNCTION features_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  ids text[];
  locked text[];
  labelled text[];
  missing text;
BEGIN
  SELECT array_agg(d.layer_id) INTO ids FROM (SELECT DISTINCT n.layer_id FROM new_rows n) d;
  SELECT array_agg(s.id), array_agg(s.id) FILTER (WHERE s.label_field IS NOT NULL) INTO locked, labelled
    FROM (SELECT l.id, l.label_field FROM layers l WHERE l.id = ANY (ids) FOR KEY SHARE) s;
  SELECT i INTO missing FROM unnest(ids) i WHERE NOT (i = ANY (coalesce(locked, '{}'::text[]))) LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'insert on table "features" violates foreign key constraint "features_layer_id_fkey"'
      USING ERRCODE = 'foreign_key_violation',
            DETAIL = format('Key (layer_id)=(%s) is not present in table "layers".', missing);
  END IF;
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

CREATE FUNCTION layers_id_fixed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '图层编号不能修改 (a layer id cannot change: "%" → "%")', OLD.id, NEW.id
    USING ERRCODE = 'foreign_key_violation';
END
$$;

CREATE TRIGGER layers_id_fixed
  BEFORE UPDATE OF id ON layers
  FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id)
  EXECUTE FUNCTION layers_id_fixed();

CREATE FUNCTION layers_truncate_features() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  TRUNCATE features;
  RETURN NULL;
END
$$;

CREATE TRIGGER layers_truncate_features
  AFTER TRUNCATE ON layers
  FOR EACH STATEMENT EXECUTE FUNCTION layers_truncate_features();
