/**
 * A small JSON parser that remembers where each value starts, so that CQL2-JSON errors can
 * report a character offset like CQL2-text ones (JSON.parse keeps no positions).
 */
import { filterError } from './filter-error.js';

export interface Located {
  /** offset of each member value (objects) or element (arrays), by key or index */
  children: Map<string | number, number>;
}

export interface ParsedJson {
  value: unknown;
  /** positions of the children of every object and array in `value` */
  where: WeakMap<object, Located>;
}

/** objects and arrays inside one another: a CQL2-JSON filter (with a geometry collection) needs a few dozen at most */
export const MAX_JSON_DEPTH = 128;

export function parseJsonWithPositions(src: string): ParsedJson {
  const where = new WeakMap<object, Located>();
  let i = 0;
  const ws = () => {
    while (i < src.length && /\s/.test(src[i])) i++;
  };
  const fail = (what: string): never => {
    throw filterError(`invalid JSON: expected ${what} but found ${i >= src.length ? 'the end' : `"${src[i]}"`}`, i);
  };
  let depth = 0;
  const value = (): unknown => {
    ws();
    const c = src[i];
    if ((c === '{' || c === '[') && depth >= MAX_JSON_DEPTH) throw filterError(`JSON nested deeper than ${MAX_JSON_DEPTH} levels`, i);
    if (c === '{') {
      i++;
      const obj: Record<string, unknown> = {};
      const loc: Located = { children: new Map() };
      ws();
      if (src[i] === '}') return i++, where.set(obj, loc), obj;
      for (;;) {
        ws();
        if (src[i] !== '"') fail('a member name in double quotes');
        const key = string();
        ws();
        if (src[i++] !== ':') (i--, fail('":"'));
        ws();
        loc.children.set(key, i);
        depth++;
        obj[key] = value();
        depth--;
        ws();
        if (src[i] === ',') i++;
        else if (src[i] === '}') return i++, where.set(obj, loc), obj;
        else fail('"," or "}"');
      }
    }
    if (c === '[') {
      i++;
      const arr: unknown[] = [];
      const loc: Located = { children: new Map() };
      ws();
      if (src[i] === ']') return i++, where.set(arr, loc), arr;
      for (;;) {
        ws();
        loc.children.set(arr.length, i);
        depth++;
        arr.push(value());
        depth--;
        ws();
        if (src[i] === ',') i++;
        else if (src[i] === ']') return i++, where.set(arr, loc), arr;
        else fail('"," or "]"');
      }
    }
    if (c === '"') return string();
    const m = /^(-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?|true|false|null)/.exec(src.slice(i));
    if (!m) return fail('a JSON value');
    i += m[0].length;
    return m[0] === 'true' ? true : m[0] === 'false' ? false : m[0] === 'null' ? null : Number(m[0]);
  };
  const string = (): string => {
    const m = /^"(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/.exec(src.slice(i));
    if (!m) return fail('a valid JSON string');
    i += m[0].length;
    return JSON.parse(m[0]) as string;
  };
  const v = value();
  ws();
  if (i < src.length) fail('the end of the JSON text');
  return { value: v, where };
}
