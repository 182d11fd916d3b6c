/**
 * CQL2-text tokenizer. Positions are 0-based offsets into the filter string, so every parse
 * error can point at the character where it went wrong. Keywords are not special here: they
 * are identifiers the parser compares case-insensitively (CQL2 keywords are case-insensitive).
 */
import { filterError } from './filter-error.js';

export type TokenType = 'ident' | 'quotedIdent' | 'string' | 'number' | 'op' | '(' | ')' | ',' | 'eof';

export interface Token {
  type: TokenType;
  /** identifier or operator text; string contents with '' unescaped; number source text */
  text: string;
  pos: number;
}

const IDENT_START = /[\p{L}_]/u;
const IDENT_PART = /[\p{L}\p{N}_.:]/u;
const DIGIT = /[0-9]/;

export function tokenize(src: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const start = i;
    if (c === '(' || c === ')' || c === ',') {
      tokens.push({ type: c, text: c, pos: i++ });
    } else if (c === "'" || c === '"') {
      // '' (or "") inside a quoted token is an escaped quote
      let text = '';
      i++;
      for (;;) {
        if (i >= src.length) throw filterError(`unterminated ${c === "'" ? 'string' : 'quoted identifier'} starting here`, start);
        if (src[i] === c) {
          if (src[i + 1] === c) {
            text += c;
            i += 2;
            continue;
          }
          i++;
          break;
        }
        text += src[i++];
      }
      tokens.push({ type: c === "'" ? 'string' : 'quotedIdent', text, pos: start });
    } else if (DIGIT.test(c) || ((c === '-' || c === '+' || c === '.') && DIGIT.test(src[i + 1] ?? ''))) {
      const m = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?/.exec(src.slice(i))!;
      tokens.push({ type: 'number', text: m[0], pos: i });
      i += m[0].length;
    } else if (c === '<' || c === '>' || c === '=' || c === '!') {
      const two = src.slice(i, i + 2);
      const op = ['<>', '<=', '>=', '!='].includes(two) ? two : c;
      if (op === '!') throw filterError('unexpected character "!" (did you mean <>?)', i);
      tokens.push({ type: 'op', text: op === '!=' ? '<>' : op, pos: i });
      i += op.length;
    } else if (IDENT_START.test(c)) {
      while (i < src.length && IDENT_PART.test(src[i])) i++;
      tokens.push({ type: 'ident', text: src.slice(start, i), pos: start });
    } else {
      throw filterError(`unexpected character "${c}"`, i);
    }
  }
  tokens.push({ type: 'eof', text: '', pos: src.length });
  return tokens;
}
