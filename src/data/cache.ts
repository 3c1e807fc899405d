/**
 * Binary cache files of the data layer (e.g. Fashion-MNIST parsed once from its JSON).
 *
 * Format (all integers little-endian):
 * - bytes 0..7: magic `HWNASDC1`
 * - bytes 8..11: uint32 length L of the header
 * - bytes 12..12+L: UTF-8 JSON header `{ key, sections: [{ name, bytes }], sha256 }`
 * - then the sections' bytes, concatenated in header order.
 *
 * A file is used only when the magic, the header, the key (which fingerprints the source files),
 * the total size and the SHA-256 of the payload all match; otherwise it is rebuilt. Files are
 * written atomically (temporary file + rename), so concurrent readers never see a partial file.
 */
import { createHash } from 'node:crypto';
import { closeSync, fstatSync, fsyncSync, mkdirSync, openSync, readFileSync, readSync, renameSync, rmSync, writeSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { writeFileAtomic } from './file-io.js';

const MAGIC = 'HWNASDC1';

/** Outcome of {@link readCache}. */
export type CacheRead =
  | { readonly status: 'hit'; readonly sections: ReadonlyMap<string, Uint8Array> }
  | { readonly status: 'missing' | 'stale' | 'corrupt'; readonly reason: string };

interface CacheHeader {
  readonly key: string;
  readonly sections: readonly { readonly name: string; readonly bytes: number }[];
  readonly sha256: string;
}

/** The cache directory: `explicit`, else `$HWNAS_CACHE_DIR`, else `$XDG_CACHE_HOME/hwnas`, else `~/.cache/hwnas`. */
export function cacheDir(explicit?: string): string {
  if (explicit !== undefined && explicit !== '') return explicit;
  const env = process.env['HWNAS_CACHE_DIR'];
  if (env !== undefined && env !== '') return env;
  const xdg = process.env['XDG_CACHE_HOME'];
  if (xdg !== undefined && xdg !== '') return join(xdg, 'hwnas');
  return join(homedir(), '.cache', 'hwnas');
}

function sha256(parts: readonly Uint8Array[]): string {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest('hex');
}

/** Reads and validates a cache file written with the same `key`. Never throws on bad content. */
export function readCache(path: string, key: string): CacheRead {
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch (e) {
    return { status: 'missing', reason: `cannot read '${path}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` };
  }
  if (buf.length < 12 || buf.toString('latin1', 0, 8) !== MAGIC) {
    return { status: 'corrupt', reason: `'${path}' does not start with the magic '${MAGIC}'` };
  }
  const hlen = buf.readUInt32LE(8);
  if (12 + hlen > buf.length) return { status: 'corrupt', reason: `'${path}' is truncated inside its header` };
  let header: CacheHeader;
  try {
    header = JSON.parse(buf.toString('utf8', 12, 12 + hlen)) as CacheHeader;
  } catch {
    return { status: 'corrupt', reason: `'${path}' has an unreadable header` };
  }
  if (typeof header.key !== 'string' || !Array.isArray(header.sections) || typeof header.sha256 !== 'string') {
    return { status: 'corrupt', reason: `'${path}' has a header without key/sections/sha256` };
  }
  if (header.key !== key) return { status: 'stale', reason: `'${path}' was built from other source files` };
  const total = header.sections.reduce((a, s) => a + s.bytes, 0);
  if (12 + hlen + total !== buf.length) {
    return { status: 'corrupt', reason: `'${path}' has ${buf.length} bytes, header announces ${12 + hlen + total}` };
  }
  const sections = new Map<string, Uint8Array>();
  let off = 12 + hlen;
  for (const s of header.sections) {
    sections.set(s.name, new Uint8Array(buf.buffer, buf.byteOffset + off, s.bytes));
    off += s.bytes;
  }
  if (sha256([...sections.values()]) !== header.sha256) {
    return { status: 'corrupt', reason: `'${path}' fails its SHA-256 check` };
  }
  return { status: 'hit', sections };
}

/** Writes a cache file atomically; throws the file-system error when the directory is not writable. */
export function writeCache(path: string, key: string, sections: ReadonlyMap<string, Uint8Array>): void {
  const parts = [...sections.values()];
  const header: CacheHeader = {
    key,
    sections: [...sections].map(([name, b]) => ({ name, bytes: b.length })),
    sha256: sha256(parts),
  };
  const hbytes = Buffer.from(JSON.stringify(header), 'utf8');
  const pre = Buffer.alloc(12);
  pre.write(MAGIC, 0, 'latin1');
  pre.writeUInt32LE(hbytes.length, 8);
  writeFileAtomic(path, [pre, hbytes, ...parts]);
}

/** Bytes reserved for the JSON header of a streamed cache file (padded with spaces; plenty for a few sections). */
const STREAM_HEADER_BYTES = 4096;

/**
 * Writes a cache file section by section without holding it in memory: the sections' names and sizes are
 * known up front, their bytes are appended in order ({@link CacheStreamWriter.append}), the SHA-256 is
 * computed on the way, and {@link CacheStreamWriter.finish} writes the header and renames the temporary
 * file into place (atomic like {@link writeCache}; the same format, readable by {@link readCache}).
 */
export class CacheStreamWriter {
  private readonly fd: number;
  private readonly tmp: string;
  private readonly hash = createHash('sha256');
  private written = 0;
  private readonly total: number;
  private done = false;

  constructor(
    private readonly path: string,
    private readonly key: string,
    private readonly sections: readonly { readonly name: string; readonly bytes: number }[],
  ) {
    this.total = sections.reduce((a, s) => a + s.bytes, 0);
    mkdirSync(dirname(path), { recursive: true });
    this.tmp = `${path}.tmp-${process.pid}-${Date.now()}`;
    this.fd = openSync(this.tmp, 'w');
    writeSync(this.fd, Buffer.alloc(12 + STREAM_HEADER_BYTES, 0x20), 0, 12 + STREAM_HEADER_BYTES, 0);
  }

  /** Appends the next bytes of the payload (sections in the order given, back to back). */
  append(bytes: Uint8Array): void {
    if (this.done) throw new Error('CacheStreamWriter: append after finish');
    if (this.written + bytes.length > this.total) throw new Error(`CacheStreamWriter: ${this.written + bytes.length} bytes exceed the ${this.total} announced`);
    let off = 0;
    while (off < bytes.length) off += writeSync(this.fd, bytes, off, bytes.length - off, 12 + STREAM_HEADER_BYTES + this.written + off);
    this.hash.update(bytes);
    this.written += bytes.length;
  }

  /** Writes the header, fsyncs and renames into place; throws when fewer bytes than announced were appended. */
  finish(): void {
    if (this.written !== this.total) {
      this.abort();
      throw new Error(`CacheStreamWriter: ${this.written} bytes appended, ${this.total} announced`);
    }
    const header: CacheHeader = { key: this.key, sections: this.sections, sha256: this.hash.digest('hex') };
    const json = JSON.stringify(header);
    if (json.length > STREAM_HEADER_BYTES) {
      this.abort();
      throw new Error(`CacheStreamWriter: header of ${json.length} bytes exceeds ${STREAM_HEADER_BYTES}`);
    }
    const pre = Buffer.alloc(12 + STREAM_HEADER_BYTES, 0x20);
    pre.write(MAGIC, 0, 'latin1');
    pre.writeUInt32LE(STREAM_HEADER_BYTES, 8);
    pre.write(json, 12, 'utf8');
    writeSync(this.fd, pre, 0, pre.length, 0);
    fsyncSync(this.fd);
    closeSync(this.fd);
    this.done = true;
    renameSync(this.tmp, this.path);
  }

  /** Closes and deletes the temporary file (after a failure). */
  abort(): void {
    if (this.done) return;
    this.done = true;
    try {
      closeSync(this.fd);
    } catch {
      // already closed
    }
    rmSync(this.tmp, { force: true });
  }
}

/** A validated cache file opened for reading in place: where each section starts, in bytes from the file start. */
export interface OpenedCache {
  readonly path: string;
  readonly sections: ReadonlyMap<string, { readonly offset: number; readonly bytes: number }>;
}

/**
 * Validates a cache file like {@link readCache} (magic, header, key, size, SHA-256 of the payload) while
 * reading it in 8 MiB pieces, so a file larger than memory can be checked; returns the sections' offsets
 * for in-place reads (`readSync` at an offset). Never throws on bad content.
 */
export function openCache(path: string, key: string): { readonly status: 'hit'; readonly cache: OpenedCache } | Exclude<CacheRead, { status: 'hit' }> {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    return { status: 'missing', reason: `cannot read '${path}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` };
  }
  try {
    const size = fstatSync(fd).size;
    const pre = Buffer.alloc(12);
    if (size < 12 || readSync(fd, pre, 0, 12, 0) !== 12 || pre.toString('latin1', 0, 8) !== MAGIC)
      return { status: 'corrupt', reason: `'${path}' does not start with the magic '${MAGIC}'` };
    const hlen = pre.readUInt32LE(8);
    if (12 + hlen > size) return { status: 'corrupt', reason: `'${path}' is truncated inside its header` };
    const hb = Buffer.alloc(hlen);
    readSync(fd, hb, 0, hlen, 12);
    let header: CacheHeader;
    try {
      header = JSON.parse(hb.toString('utf8')) as CacheHeader;
    } catch {
      return { status: 'corrupt', reason: `'${path}' has an unreadable header` };
    }
    if (typeof header.key !== 'string' || !Array.isArray(header.sections) || typeof header.sha256 !== 'string')
      return { status: 'corrupt', reason: `'${path}' has a header without key/sections/sha256` };
    if (header.key !== key) return { status: 'stale', reason: `'${path}' was built from other source files` };
    const total = header.sections.reduce((a, s) => a + s.bytes, 0);
    if (12 + hlen + total !== size) return { status: 'corrupt', reason: `'${path}' has ${size} bytes, header announces ${12 + hlen + total}` };
    const h = createHash('sha256');
    const buf = Buffer.alloc(8 << 20);
    for (let pos = 12 + hlen; pos < size; ) {
      const got = readSync(fd, buf, 0, Math.min(buf.length, size - pos), pos);
      if (got <= 0) return { status: 'corrupt', reason: `'${path}' could not be read to its end` };
      h.update(buf.subarray(0, got));
      pos += got;
    }
    if (h.digest('hex') !== header.sha256) return { status: 'corrupt', reason: `'${path}' fails its SHA-256 check` };
    const sections = new Map<string, { offset: number; bytes: number }>();
    let off = 12 + hlen;
    for (const s of header.sections) {
      sections.set(s.name, { offset: off, bytes: s.bytes });
      off += s.bytes;
    }
    return { status: 'hit', cache: { path, sections } };
  } finally {
    closeSync(fd);
  }
}
