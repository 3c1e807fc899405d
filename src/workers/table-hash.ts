/**
 * A tabular study's table is part of the study: its content hash (sha256, the study attribute `tableSha256`) is
 * recorded when the study is created and checked wherever the study continues: `hwnas nas --table` and
 * `hwnas study run|resume` before any trial (src/cli/commands/study.ts), and the `nas-table` evaluation itself when
 * it is given the hash as its `tableSha256` option (as `runConfiguredStudy` passes it to threads and Redis workers,
 * whose table file may be another machine's copy).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ConfigError } from '../errors.js';
import type { JsonValue } from '../search/types.js';

/** The registered name of the evaluation whose study is tied to a table file. */
export const TABLE_EVALUATION = 'nas-table';

/** A sha256 in hex, as stored. */
export const SHA256_HEX = /^[0-9a-f]{64}$/;

/** sha256 (hex) of bytes. */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** sha256 (hex) of a file's content; ConfigError naming the file when it cannot be read. */
export function fileSha256(path: string): string {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch {
    throw new ConfigError(`table file '${path}' cannot be read (expected the table the study was created with)`);
  }
  return sha256Hex(bytes);
}

/** The table file of an evaluation spec that looks a table up (`nas-table`'s `table` option), else undefined. */
export function evaluationTable(name: string, options: Readonly<Record<string, JsonValue>> | undefined): string | undefined {
  const t = options?.table;
  return name === TABLE_EVALUATION && typeof t === 'string' ? t : undefined;
}

/**
 * Throws a ConfigError naming the file and both hashes when `path`'s content no longer has the sha256 `stored`
 * (`who` names the study or the evaluation in the message); returns the current hash.
 */
export function checkTableSha256(path: string, stored: string, who: string): string {
  return checkSha256(path, fileSha256(path), stored, who);
}

/** {@link checkTableSha256} for content already read: `now` is the sha256 of `path`'s bytes as read. */
export function checkSha256(path: string, now: string, stored: string, who: string): string {
  if (now !== stored)
    throw new ConfigError(
      `${who}: the content of table ${path} changed since the study was stored (sha256 stored ${stored}, now ${now}); continuing would mix the trials of two tables: restore the table as it was to continue, or start another study`,
    );
  return now;
}
