/**
 * CQL2-text → AST, by recursive descent over the tokens (one function per grammar rule):
 *   or      := and ('OR' and)*
 *   and     := not ('AND' not)*
 *   not     := 'NOT' not | primary
 *   primary := '(' or ')' | spatialFn '(' operand ',' operand ')' | TRUE | FALSE | operand predicateTail
 * Errors name what was expected and where (0-based offset of the offending token).
 */
import { SPATIAL_OPS, type CompareOp, type Expr, type Predicate, type SpatialOp } from './ast.js';
import { isRfc3339Date, isRfc3339Timestamp } from '../../rfc3339.js';
import { DATE_EXPECTED, TIMESTAMP_EXPECTED, filterError } from './filter-error.js';
import { tokenize, type Token } from './tokenize.js';
import { bboxLiteral, bboxNumbers, parseWkt, WKT_KEYWORDS } from './wkt.js';

const RESERVED = new Set(['AND', 'OR', 'NOT', 'LIKE', 'ILIKE', 'IN', 'BETWEEN', 'IS', 'NULL', 'TRUE', 'FALSE']);

/** how deeply parentheses, NOT, CASEI and geometry collections may nest (each level costs stack; real filters use a few) */
export const MAX_NESTING = 64;

export class TextParser {
  private depth = 0;
  private i = 0;
  constructor(readonly tokens: Token[]) {}

  peek(offset = 0): Token {
    return this.tokens[Math.min(this.i + offset, this.tokens.length - 1)];
  }
  next(): Token {
    return this.tokens[Math.min(this.i++, this.tokens.length - 1)];
  }
  isWord(word: string, offset = 0): boolean {
    const t = this.peek(offset);
    return t.type === 'ident' && t.text.toUpperCase() === word;
  }
  acceptWord(word: string): boolean {
    if (!this.isWord(word)) return false;
    this.i++;
    return true;
  }
  expect(type: Token['type'], what: string): Token {
    const t = this.peek();
    if (t.type !== type) throw filterError(`expected ${what} but found ${describe(t)}`, t.pos);
    return this.next();
  }
  expectWord(word: string): void {
    const t = this.peek();
    if (!this.acceptWord(word)) throw filterError(`expected ${word} but found ${describe(t)}`, t.pos);
  }

  /** f() one level deeper: past MAX_NESTING a 400 at `pos`, not a stack overflow (500) */
  nested<T>(pos: number, f: () => T): T {
    if (this.depth >= MAX_NESTING) throw filterError(`the filter nests deeper than ${MAX_NESTING} levels`, pos);
    this.depth++;
    try {
      return f();
    } finally {
      this.depth--;
    }
  }

  parseFilter(): Predicate {
    const p = this.parseOr();
    const t = this.peek();
    if (t.type !== 'eof') throw filterError(`expected AND, OR or the end of the filter but found ${describe(t)}`, t.pos);
    return p;
  }

  parseOr(): Predicate {
    const pos = this.peek().pos;
    const args = [this.parseAnd()];
    while (this.acceptWord('OR')) args.push(this.parseAnd());
    return args.length === 1 ? args[0] : { kind: 'or', args, pos };
  }

  parseAnd(): Predicate {
    const pos = this.peek().pos;
    const args = [this.parseNot()];
    while (this.acceptWord('AND')) args.push(this.parseNot());
    return args.length === 1 ? args[0] : { kind: 'and', args, pos };
  }

  parseNot(): Predicate {
    const pos = this.peek().pos;
    if (this.acceptWord('NOT')) return { kind: 'not', arg: this.nested(pos, () => this.parseNot()), pos };
    return this.parsePrimary();
  }

  parsePrimary(): Predicate {
    const t = this.peek();
    if (t.type === '(') {
      this.next();
      const p = this.nested(t.pos, () => this.parseOr());
      this.expect(')', '")"');
      return p;
    }
    if (t.type === 'ident' && this.peek(1).type === '(' && SPATIAL_OPS.includes(t.text.toLowerCase() as SpatialOp)) {
      this.i += 2;
      const left = this.parseOperand();
      this.expect(',', '"," between the two geometries');
      const right = this.parseOperand();
      this.expect(')', '")"');
      return { kind: 'spatial', op: t.text.toLowerCase() as SpatialOp, left, right, pos: t.pos };
    }
    if (t.type === 'ident' && this.peek(1).type === '(' && /^[ST]_|^A_/i.test(t.text)) {
      throw filterError(`unsupported function ${t.text} (supported: ${SPATIAL_OPS.map((s) => s.toUpperCase()).join(', ')})`, t.pos);
    }
    const left = this.parseOperand();
    return this.parseTail(left);
  }

  /** what follows the first operand of a predicate */
  parseTail(left: Expr): Predicate {
    const t = this.peek();
    const pos = left.pos;
    if (t.type === 'op') {
      this.next();
      return { kind: 'compare', op: t.text as CompareOp, left, right: this.parseOperand(), pos };
    }
    const negated = this.acceptWord('NOT');
    const wrap = (p: Predicate): Predicate => (negated ? { kind: 'not', arg: p, pos } : p);
    if (this.acceptWord('LIKE')) return wrap({ kind: 'like', left, pattern: this.parseOperand(), caseInsensitive: false, pos });
    // ILIKE is not CQL2, but GDAL's OAPIF driver sends it for OGR SQL ILIKE: accept it.
    if (this.acceptWord('ILIKE')) return wrap({ kind: 'like', left, pattern: this.parseOperand(), caseInsensitive: true, pos });
    if (this.acceptWord('BETWEEN')) {
      const low = this.parseOperand();
      this.expectWord('AND');
      return wrap({ kind: 'between', left, low, high: this.parseOperand(), pos });
    }
    if (this.acceptWord('IN')) {
      this.expect('(', '"(" after IN');
      const list = [this.parseOperand()];
      while (this.peek().type === ',') {
        this.next();
        list.push(this.parseOperand());
      }
      this.expect(')', '"," or ")" in the IN list');
      return wrap({ kind: 'in', left, list, pos });
    }
    if (negated) throw filterError(`expected LIKE, BETWEEN or IN after NOT but found ${describe(this.peek())}`, this.peek().pos);
    if (this.acceptWord('IS')) {
      const not = this.acceptWord('NOT');
      this.expectWord('NULL');
      const p: Predicate = { kind: 'isNull', arg: left, pos };
      return not ? { kind: 'not', arg: p, pos } : p;
    }
    if (left.kind === 'boolean') return { kind: 'literal', value: left.value, pos };
    throw filterError(`expected a comparison operator (=, <>, <, <=, >, >=), LIKE, BETWEEN, IN or IS NULL but found ${describe(t)}`, t.pos);
  }

  parseOperand(): Expr {
    const t = this.peek();
    if (t.type === 'string') return this.next(), { kind: 'string', value: t.text, pos: t.pos };
    if (t.type === 'number') {
      this.next();
      const value = Number(t.text);
      // 1e999 is Infinity: no attribute holds it (a query parameter of it is a 400 as well)
      if (!Number.isFinite(value)) throw filterError(`the number ${t.text} is out of range`, t.pos);
      return { kind: 'number', value, pos: t.pos };
    }
    if (t.type === 'quotedIdent') return this.next(), { kind: 'property', name: t.text, pos: t.pos };
    if (t.type === 'ident') {
      const upper = t.text.toUpperCase();
      if (upper === 'TRUE' || upper === 'FALSE') return this.next(), { kind: 'boolean', value: upper === 'TRUE', pos: t.pos };
      if (this.peek(1).type === '(') {
        if (upper === 'DATE' || upper === 'TIMESTAMP') return this.parseTemporal(upper === 'DATE');
        if (upper === 'CASEI') {
          this.i += 2;
          const arg = this.nested(t.pos, () => this.parseOperand());
          this.expect(')', '")"');
          return { kind: 'casei', arg, pos: t.pos };
        }
        if (upper === 'BBOX') {
          this.next();
          const n = bboxNumbers(this, t.pos);
          return { kind: 'geometry', value: bboxLiteral(n), bbox: n, pos: t.pos };
        }
        if (WKT_KEYWORDS.has(upper)) return { kind: 'geometry', value: parseWkt(this), pos: t.pos };
        throw filterError(`unsupported function ${t.text}`, t.pos);
      }
      if (RESERVED.has(upper)) throw filterError(`expected a property name or a literal but found the keyword ${upper}`, t.pos);
      this.next();
      return { kind: 'property', name: t.text, pos: t.pos };
    }
    throw filterError(`expected a property name or a literal but found ${describe(t)}`, t.pos);
  }

  parseTemporal(date: boolean): Expr {
    const t = this.next();
    this.next(); // (
    const s = this.expect('string', `a quoted ${date ? 'date' : 'timestamp'}`);
    if (!(date ? isRfc3339Date(s.text) : isRfc3339Timestamp(s.text))) {
      throw filterError(`expected ${date ? DATE_EXPECTED : TIMESTAMP_EXPECTED} but found '${s.text}'`, s.pos);
    }
    this.expect(')', '")"');
    return { kind: 'temporal', value: s.text, date, pos: t.pos };
  }
}

export function describe(t: Token): string {
  if (t.type === 'eof') return 'the end of the filter';
  if (t.type === 'string') return `'${t.text}'`;
  return `"${t.text}"`;
}

export function parseCql2Text(src: string): Predicate {
  if (src.trim() === '') throw filterError('the filter is empty', 0);
  return new TextParser(tokenize(src)).parseFilter();
}
