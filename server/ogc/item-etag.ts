/**
 * Optimistic locking of OGC API Features Part 4 writes (RFC 9110 §8.8.3, §13.1.1): a feature's
 * ETag is the layer version that wrote its current row — rows are never changed in place, so any
 * write of the feature gives it a new one. GET sends it; PUT, PATCH and DELETE with If-Match are
 * carried out only while it is still current (checked under the write's lock), else 412.
 */
import { PreconditionFailedError } from '../errors.js';

/** the ETag of a feature whose row was written in `writtenIn` */
export const itemEtag = (writtenIn: number): string => `"v${writtenIn}"`;

/** If-Match: null (absent), '*', or the versions it names */
export type IfMatch = null | '*' | Set<number>;

/** If-Match → null (absent), '*', or the versions it names (tags of other forms name none) */
export function parseIfMatch(header: string | string[] | undefined): IfMatch {
  if (header === undefined) return null;
  const text = Array.isArray(header) ? header.join(',') : header;
  if (text.trim() === '*') return '*';
  const versions = new Set<number>();
  for (const tag of text.match(/(W\/)?"[^"]*"/g) ?? []) {
    const m = /^"v(\d{1,9})"$/.exec(tag); // strong comparison: a weak tag never matches
    if (m) versions.add(Number(m[1]));
  }
  return versions;
}

/** throws 412 unless `ifMatch` admits the feature's current row (written in `writtenIn`; null: no such feature) */
export function checkIfMatch(ifMatch: IfMatch, writtenIn: number | null, fid: string): void {
  if (ifMatch === null) return;
  if (ifMatch === '*' ? writtenIn !== null : writtenIn !== null && ifMatch.has(writtenIn)) return;
  throw new PreconditionFailedError(
    `要素 ${fid} 已被他人修改（If-Match 不是当前版本），请重新读取后再提交 (feature "${fid}" changed since it was read: If-Match is not its current ETag${writtenIn === null ? '' : ` ${itemEtag(writtenIn)}`})`,
    { feature: fid, ...(writtenIn === null ? {} : { etag: itemEtag(writtenIn) }) },
  );
}
