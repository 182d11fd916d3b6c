-- Each version records its extent (EPSG:4490 degrees) beside its feature count, computed once at
-- write time, so layer lists, collections, TileJSON and the style never scan the features.
ALTER TABLE layer_versions ADD COLUMN extent double precision[];

UPDATE layer_versions lv SET extent = (
  SELECT CASE WHEN count(*) = 0 THEN NULL
         ELSE ARRAY[ST_XMin(ST_Extent(f.geom)), ST_YMin(ST_Extent(f.geom)), ST_XMax(ST_Extent(f.geom)), ST_YMax(ST_Extent(f.geom))] END
  FROM features f
  WHERE f.layer_id = lv.layer_id AND f.valid_from <= lv.version AND (f.valid_to IS NULL OR f.valid_to > lv.version));
