import { Transform, type TransformCallback } from "node:stream";

/**
 * Passes on what is written to it as one chunk per turn of the event loop.
 *
 * React's streaming renderer writes a page in many small pieces (~2 KB);
 * each one then goes on its own through the web stream Remix builds, the
 * compression middleware's gzip stream and the socket, and that per-piece
 * work showed up as a sizeable share of a portal page's CPU time under load
 * (bench:load, ADR 013). Everything React writes in one turn (the whole page
 * when nothing is deferred) now travels as one chunk; content that streams in
 * later turns (deferred data) still goes out as soon as it is written.
 */
export class CoalescingStream extends Transform {
  private pending: Buffer[] = [];
  private scheduled = false;

  /** `onChunk`: sees each chunk passed on (a page being held keeps a copy, ADR 055). */
  constructor(private readonly onChunk?: (chunk: Buffer) => void) {
    super();
  }

  override _transform(chunk: Buffer | string, encoding: BufferEncoding, callback: TransformCallback) {
    this.pending.push(typeof chunk === "string" ? Buffer.from(chunk, encoding) : chunk);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.release());
    }
    callback();
  }

  override _flush(callback: TransformCallback) {
    this.release();
    callback();
  }

  private release() {
    this.scheduled = false;
    if (!this.pending.length || this.destroyed) return;
    const chunk = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending);
    this.pending = [];
    this.onChunk?.(chunk);
    this.push(chunk);
  }
}
