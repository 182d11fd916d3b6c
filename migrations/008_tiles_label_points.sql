-- Label points for vector tiles (server/tiles/README.md, "Labels"): one point per polygon feature
-- of a labelled layer (layers.label_field set), carried in the MVT layer "<layer id>_label", so
-- MapLibre places one label per feature instead of one per tile piece of the polygon.
--
-- Computed once per stored feature row: rows are never updated in place (a write closes rows and
-- inserts new ones), so a statement-level trigger on INSERT fills the points of the new rows of
-- labelled layers. A layer without a label (the 200k-parcel farmland) pays one pass over the
-- statement's new rows and no geometry work. The point is the centre of the polygon's maximum
-- inscribed circle (the pole of inaccessibility, in EPSG:3857 so it is centred as drawn), or, when
-- GEOS cannot compute that (an invalid ring), ST_PointOnSurface, then the centroid.
-- A trigger rather than a generated column: a generated column would compute a point for every
-- row of every layer, farmland included, and cannot see layers.label_field.

CREATE TABLE tile_label_points (
  feature_id bigint PRIMARY KEY,
  layer_id   text NOT NULL,
  point      geometry(Point, 3857) NOT NULL
);
CREATE INDEX tile_label_points_point ON tile_label_points USING gist (point);

CREATE FUNCTION tile_label_point(g geometry) RETURNS geometry
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
BEGIN
  RETURN (ST_MaximumInscribedCircle(g)).center;
EXCEPTION WHEN OTHERS THEN
  BEGIN
    RETURN ST_PointOnSurface(g);
  EXCEPTION WHEN OTHERS THEN
    RETURN ST_Centroid(g);
  END;
END
$$;

-- the new rows of labelled layers → their points (rows whose point cannot be found are skipped)
CREATE FUNCTION tile_label_points_add() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  WITH c AS MATERIALIZED (
    SELECT n.id, n.layer_id, tile_label_point(n.geom_3857) AS point
    FROM new_rows n JOIN layers l ON l.id = n.layer_id AND l.label_field IS NOT NULL
    WHERE ST_Dimension(n.geom_3857) = 2
  )
  INSERT INTO tile_label_points (feature_id, layer_id, point)
  SELECT id, layer_id, point FROM c WHERE point IS NOT NULL AND NOT ST_IsEmpty(point)
  ON CONFLICT (feature_id) DO NOTHING;
  RETURN NULL;
END
$$;

CREATE TRIGGER tile_label_points_add
  AFTER INSERT ON features REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION tile_label_points_add();

-- a layer that gets a label field later: points for all its rows (history included)
CREATE FUNCTION tile_label_points_relabel() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.label_field IS NOT NULL THEN
    WITH c AS MATERIALIZED (
      SELECT f.id, f.layer_id, tile_label_point(f.geom_3857) AS point
      FROM features f
      WHERE f.layer_id = NEW.id AND ST_Dimension(f.geom_3857) = 2
        AND NOT EXISTS (SELECT 1 FROM tile_label_points p WHERE p.feature_id = f.id)
    )
    INSERT INTO tile_label_points (feature_id, layer_id, point)
    SELECT id, layer_id, point FROM c WHERE point IS NOT NULL AND NOT ST_IsEmpty(point)
    ON CONFLICT (feature_id) DO NOTHING;
  END IF;
  RETURN NULL;
END
$$;

CREATE TRIGGER tile_label_points_relabel
  AFTER UPDATE OF label_field ON layers
  FOR EACH ROW EXECUTE FUNCTION tile_label_points_relabel();

-- deleted feature rows (a dropped layer cascades): their points go too. Tiles join features, so a
-- point left behind would never be drawn; this only keeps the table small. The table holds the
-- rows of labelled layers only, so the anti-join is cheap.
CREATE FUNCTION tile_label_points_prune() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    TRUNCATE tile_label_points;
  ELSE
    DELETE FROM tile_label_points p WHERE NOT EXISTS (SELECT 1 FROM features f WHERE f.id = p.feature_id);
  END IF;
  RETURN NULL;
END
$$;

CREATE TRIGGER tile_label_points_prune
  AFTER DELETE OR TRUNCATE ON features
  FOR EACH STATEMENT EXECUTE FUNCTION tile_label_points_prune();

-- rows already stored
INSERT INTO tile_label_points (feature_id, layer_id, point)
SELECT id, layer_id, point FROM (
  SELECT f.id, f.layer_id, tile_label_point(f.geom_3857) AS point
  FROM features f JOIN layers l ON l.id = f.layer_id AND l.label_field IS NOT NULL
  WHERE ST_Dimension(f.geom_3857) = 2
  OFFSET 0
) c
WHERE point IS NOT NULL AND NOT ST_IsEmpty(point);
