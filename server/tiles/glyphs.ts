/**
 * Glyph PBFs for style labels, served from files generated into web/glyphs/ (see README).
 * Chinese is drawn locally by MapLibre (localIdeographFontFamily), so a missing range is
 * answered with an empty glyph set, which MapLibre accepts: labels never need the internet.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BadRequestError } from '../errors.js';

export const GLYPHS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../web/glyphs');
export const FONT_STACK = 'Noto Sans Regular';

export async function glyphRange(fontstack: string, start: number): Promise<Buffer> {
  if (!/^[\w ,-]{1,100}$/.test(fontstack)) throw new BadRequestError('字体名称无效 (malformed font stack)', { parameter: 'fontstack' });
  // The first font of a stack that we have wins, as in other glyph servers.
  for (const font of fontstack.split(',').map((f) => f.trim())) {
    try {
      return await fs.readFile(path.join(GLYPHS_DIR, font, `${start}-${start + 255}.pbf`));
    } catch {
      // try the next font in the stack
    }
  }
  return Buffer.alloc(0);
}
