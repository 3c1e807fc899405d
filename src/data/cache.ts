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
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
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
