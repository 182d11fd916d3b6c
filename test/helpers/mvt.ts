/** Decode an MVT with @mapbox/vector-tile, as a client would. */
import { VectorTile } from '@mapbox/vector-tile';
import { PbfReader } from 'pbf';

export interface DecodedFeature {
  id: number | undefined;
  properties: Record<string, unknown>;
  type: number;
  rings: number;
}

export function decodeTile(body: Buffer | Uint8Array): Record<string, { extent: number; features: DecodedFeature[] }> {
  const tile = new VectorTile(new PbfReader(body));
  const out: Record<string, { extent: number; features: DecodedFeature[] }> = {};
  for (const [name, layer] of Object.entries(tile.layers)) {
    const features: DecodedFeature[] = [];
    for (let i = 0; i < layer.length; i++) {
      const f = layer.feature(i);
      features.push({ id: f.id, properties: { ...f.properties }, type: f.type, rings: f.loadGeometry().length });
    }
    out[name] = { extent: layer.extent, features };
  }
  return out;
}
