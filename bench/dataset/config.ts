/** Fixed inputs of the synthetic dataset. Changing DATASET_SEED changes every output file. */
export const DATASET_SEED = 20210101;

/** Permanent-farmland parcels in the published layer (before the PostGIS safety filter). */
export const FARMLAND_PARCELS = 24000;

/** Decimal places of published lon/lat (1e-7° ≈ 1 cm). */
export const COORD_DECIMALS = 7;
