/**
 * Local glyph drawing that does not lose characters. The style has no `glyphs` URL, so MapLibre
 * draws every label glyph in the browser with TinySDF (CJK through localIdeographFontFamily).
 * MapLibre GL JS 5.24's prebuilt bundle carries a TinySDF from before mapbox/tiny-sdf#67, which
 * read `TextMetrics.actualBoundingBoxLeft` with the wrong sign: a glyph whose ink starts right of
 * its origin is drawn that far further right again, past the edge of TinySDF's 72 px canvas.
 * Full-width opening punctuation sits in the right half of its em box, so （ 「 【 came out
 * blank (） 」 】 and ideographs, inked from the left, were fine).
 *
 * Serving glyph PBFs would not help: MapLibre draws U+3000–30FF and U+FF00–FFEF (all CJK
 * punctuation and full-width forms) locally whenever localIdeographFontFamily is set, glyphs
 * URL or not. So we hand MapLibre the fixed TinySDF (≥ 2.3.0) through its own hook,
 * `GlyphManager.TinySDF`, a static that every glyph manager reads when it makes its canvases.
 */
import TinySDF from '@mapbox/tiny-sdf';
import type { Map as MlMap } from 'maplibre-gl';

type GlyphManagerClass = { TinySDF: unknown };

/** Give the map's glyph manager class the fixed TinySDF. Call right after `new Map()`, before any tile is laid out. */
export function useFixedTinySdf(map: MlMap): boolean {
  const manager = (map as unknown as { style?: { glyphManager?: object } }).style?.glyphManager;
  const cls = manager?.constructor as GlyphManagerClass | undefined;
  if (!cls || !('TinySDF' in cls)) {
    // a MapLibre without the hook: labels still draw, full-width brackets may not (e2e test fails)
    console.warn('MapLibre GlyphManager.TinySDF hook not found; local glyphs use the bundled TinySDF');
    return false;
  }
  cls.TinySDF = TinySDF;
  return true;
}
