/**
 * Receives a multipart upload: the `file` part is streamed to a fresh folder under
 * os.tmpdir() (never held whole in memory) while its sha256 and size are computed; the other
 * parts are form fields. The file name from the client is only recorded, never used as a
 * path. The caller removes the folder with `dispose()` whatever happens.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { FastifyRequest } from 'fastify';
import { BadRequestError, PayloadTooLargeError } from '../errors.js';

export const TEMP_PREFIX = 'dehui-upload-';
/** temp folders older than this are left over from a killed process and are swept */
const STALE_MS = 24 * 3600 * 1000;
const MAX_FIELD_CHARS = 2000;

export interface ReceivedUpload {
  /** the stored file, inside `dir` */
  path: string;
  dir: string;
  /** as sent by the client, for the record only */
  fileName: string;
  size: number;
  sha256: string;
  fields: Record<string, string>;
  dispose(): Promise<void>;
}

export async function makeTempDir(): Promise<string> {
  return fs.promises.mkdtemp(path.join(os.tmpdir(), TEMP_PREFIX));
}

/** Remove temp folders a killed process left behind (best effort, never throws). */
export async function sweepStaleTempDirs(now = Date.now()): Promise<void> {
  try {
    for (const name of await fs.promises.readdir(os.tmpdir())) {
      if (!name.startsWith(TEMP_PREFIX)) continue;
      const p = path.join(os.tmpdir(), name);
      const st = await fs.promises.stat(p).catch(() => null);
      if (st && now - st.mtimeMs > STALE_MS) await fs.promises.rm(p, { recursive: true, force: true });
    }
  } catch {
    /* a sweep is housekeeping only */
  }
}

function hashing(hash: crypto.Hash, counter: { bytes: number }): Transform {
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      counter.bytes += chunk.length;
      done(null, chunk);
    },
  });
}

/** Stream the multipart body. 400 without a file part; 413 (limit uploadBytes) when too big. */
export async function receiveUpload(request: FastifyRequest, uploadBytes: number): Promise<ReceivedUpload> {
  if (!request.isMultipart()) throw new BadRequestError('请以 multipart/form-data 上传文件 (send the file as multipart/form-data, part "file")', { parameter: 'file' });
  const dir = await makeTempDir();
  const dispose = () => fs.promises.rm(dir, { recursive: true, force: true });
  const fields: Record<string, string> = {};
  let stored: { fileName: string; size: number; sha256: string } | null = null;
  const target = path.join(dir, 'upload.bin');
  try {
    for await (const part of request.parts()) {
      if (part.type === 'field') {
        if (typeof part.value === 'string') fields[part.fieldname] = part.value.slice(0, MAX_FIELD_CHARS);
        continue;
      }
      if (part.fieldname !== 'file' || stored) {
        part.file.resume(); // drain parts we do not want
        continue;
      }
      const hash = crypto.createHash('sha256');
      const counter = { bytes: 0 };
      await pipeline(part.file, hashing(hash, counter), fs.createWriteStream(target, { flags: 'wx' }));
      if (part.file.truncated) throw tooLarge(uploadBytes);
      stored = { fileName: part.filename || 'upload', size: counter.bytes, sha256: hash.digest('hex') };
    }
  } catch (err) {
    await dispose();
    const e = err as { code?: string; statusCode?: number };
    if (e.code === 'FST_REQ_FILE_TOO_LARGE' || e.statusCode === 413) throw tooLarge(uploadBytes);
    if (e.code === 'FST_INVALID_MULTIPART_CONTENT_TYPE') throw new BadRequestError('请求不是 multipart/form-data (not multipart/form-data)', { parameter: 'file' });
    throw err;
  }
  if (!stored) {
    await dispose();
    throw new BadRequestError('缺少上传文件 (multipart part "file" is missing)', { parameter: 'file' });
  }
  return { path: target, dir, ...stored, fields, dispose };
}

function tooLarge(max: number): PayloadTooLargeError {
  return new PayloadTooLargeError(`上传文件超过 ${max} 字节 (file larger than uploadBytes = ${max} bytes)`, { limit: 'uploadBytes', max });
}
