/**
 * A file's bytes as they stream in (a zip entry inflating), read like a file handle: its first
 * bytes are kept (`head`), so that they can be read again, and every read beyond them continues
 * exactly where the last one ended. That is how the .dbf reader reads (dbf-records.ts: the header,
 * then whole records in order), so a .dbf is read straight from the zip while the upload is
 * staged rather than written to disk first (zip-extract.ts). Errors of the stream (a damaged
 * entry, a bound) reach the reader through `fail`, which names them for the user.
 */
import type { Readable } from 'node:stream';

export interface ByteSource {
  read(buffer: Buffer, offset: number, length: number, position: number): Promise<{ bytesRead: number }>;
  /** after the last read a reader needs: the source is whole (a streamed entry's size is checked at its end) */
  finish?(): Promise<void>;
  close(): Promise<void>;
}

export class StreamBytes implements ByteSource {
  /** the stream's position: bytes taken from it so far (the head included) */
  private at: number;
  /** bytes taken from the stream and not yet read */
  private left: Buffer;
  /** the stream has ended: a read beyond it reads nothing, as at the end of a file */
  private ended: boolean;

  private constructor(
    private readonly stream: Readable,
    private readonly chunks: AsyncIterator<Buffer>,
    readonly head: Buffer,
    left: Buffer,
    ended: boolean,
    private readonly fail: (e: unknown) => Error,
  ) {
    this.at = head.length + left.length;
    this.left = left;
    this.ended = ended;
  }

  /** Takes the first `headBytes` (fewer when the stream is shorter) before returning. */
  static async open(stream: Readable, headBytes: number, fail: (e: unknown) => Error): Promise<StreamBytes> {
    const chunks = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
    const taken: Buffer[] = [];
    let n = 0;
    let ended = false;
    try {
      while (n < headBytes) {
        const c = await chunks.next();
        ended = Boolean(c.done);
        if (c.done) break;
        taken.push(c.value);
        n += c.value.length;
      }
    } catch (e) {
      stream.destroy();
      throw fail(e);
    }
    const all = Buffer.concat(taken);
    return new StreamBytes(stream, chunks, all.subarray(0, headBytes), all.subarray(headBytes), ended, fail);
  }

  /** bytes [position, position + length): from the head, then from the stream in order */
  async read(buffer: Buffer, offset: number, length: number, position: number): Promise<{ bytesRead: number }> {
    let done = 0;
    if (position < this.head.length) {
      done = this.head.copy(buffer, offset, position, Math.min(this.head.length, position + length));
    }
    const next = position + done;
    if (done === length) return { bytesRead: done };
    // past the head: only where the stream's unread bytes begin (or, past its end, nothing)
    if (this.ended && this.left.length === 0 && next >= this.at) return { bytesRead: done };
    if (next !== this.at - this.left.length) throw new Error(`StreamBytes: read at ${next}, the stream is at ${this.at - this.left.length}`);
    while (done < length) {
      if (this.left.length === 0) {
        let c: IteratorResult<Buffer>;
        try {
          c = await this.chunks.next();
        } catch (e) {
          throw this.fail(e);
        }
        if (c.done) {
          this.ended = true;
          break;
        }
        this.left = c.value;
        this.at += c.value.length;
      }
      const n = this.left.copy(buffer, offset + done, 0, Math.min(this.left.length, length - done));
      this.left = this.left.subarray(n);
      done += n;
    }
    return { bytesRead: done };
  }

  /**
   * Read the rest to the end, unkept (a .dbf's end-of-file mark, bytes after its records): only at
   * its end is a streamed entry known to be as long as its header said (zip-extract.ts counting)
   */
  async finish(): Promise<void> {
    this.left = Buffer.alloc(0);
    try {
      for (let c = await this.chunks.next(); !c.done; c = await this.chunks.next()) this.at += c.value.length;
    } catch (e) {
      throw this.fail(e);
    }
    this.ended = true;
  }

  /** stop the stream (and the inflating behind it) */
  async close(): Promise<void> {
    this.stream.destroy();
  }
}
