/** Decode an MVT with @mapbox/vector-tile, as a client would. */
import { VectorTile } from '@mapbox/vector-tile';
import { PbfReader } from 'pbf';

export interface DecodedFeature {
  id: number | undefined;
  properties: Record<string, unknown>;
  type: number;
  rings: number;
  /** rings (or line parts, or points) in tile units */
  geometry: [number, number][][];
}

export function decodeTile(body: Buffer | Uint8Array): Record<string, { extent: number; features: DecodedFeature[] }> {
  const tile = new VectorTile(new PbfReader(body));
  const out: Record<string, { extent: number; features: DecodedFeature[] }> = {};
  for (const [name, layer] of Object.entries(tile.layers)) {
    const features: DecodedFeature[] = [];
    for (let i = 0; i < layer.length; i++) {
      const f = layer.feature(i);
      const geometry = f.loadGeometry().map((ring) => ring.map((p) => [p.x, p.y] as [number, number]));
      features.push({ id: f.id, properties: { ...f.properties }, type: f.type, rings: geometry.length, geometry });
    }
    out[name] = { extent: layer.extent, features };
  }
  return out;
}
