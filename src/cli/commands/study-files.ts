/**
 * What a command's study keeps next to its store: `hwnas quantize`'s trained float model of a zoo model
 * (`models/<study>-<uid>.json` + `.bin`) and `hwnas transform`'s screening (`transform/<study>-<uid>/`). Study names
 * are unique only within a store, so two stores in one folder would share a file named by the study alone: a study
 * of one store would continue with the other's weights. The study's uid keys the name (a fresh one per study). A
 * study stored before 2026-12-07 points at its old `models/<study>.json` or `transform/<study>/` (the path is in its
 * config); {@link checkLegacyStudyFiles} refuses it when that file was rewritten after the study was created.
 */
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { ConfigError, UserError } from '../../errors.js';
import type { StudyRecord } from '../../store/types.js';
import { studyFolderName } from '../../study/study-folder.js';
import type { StudyConfig } from './study-config.js';

/** The folders next to a store that hold its studies' files. */
export type StudyFileKind = 'models' | 'transform' | 'blockwise';

/**
 * The path of a study's file or folder `kind` next to the store at `storePath`: `<store folder>/<kind>/<study>-<uid><ext>`.
 * @example studyFilePath('runs/a.sqlite', 'models', 'qx', uid, '.json') // <abs>/runs/models/qx-<uid>.json
 */
export function studyFilePath(storePath: string, kind: StudyFileKind, studyName: string, uid: string, ext = ''): string {
  return resolve(dirname(storePath), kind, `${studyFolderName(studyName, uid)}${ext}`);
}

/**
 * Removes what a study's preparation wrote next to the store at `storePath` for a study that was never created (its
 * `prepare` failed or was interrupted): every entry of `models/`, `transform/` and `blockwise/` named
 * `<study>-<uid>` or `<study>-<uid>.<ext>`. No study can use them: the next run prepares under a fresh uid. Returns
 * the removed paths.
 */
export function removeUnusedStudyFiles(storePath: string, studyName: string, uid: string): string[] {
  const base = studyFolderName(studyName, uid);
  const removed: string[] = [];
  for (const kind of ['models', 'transform', 'blockwise'] as const satisfies readonly StudyFileKind[]) {
    const dir = resolve(dirname(storePath), kind);
    if (!existsSync(dir)) continue;
    for (const entry of readdirSync(dir)) {
      if (entry !== base && !entry.startsWith(`${base}.`)) continue;
      rmSync(join(dir, entry), { recursive: true, force: true });
      removed.push(join(dir, entry));
    }
  }
  return removed;
}

/**
 * Files a study writes while it is prepared, i.e. before it is created: any of them modified more than this after the
 * study's creation time was rewritten by something else (file systems keep modification times to 2 s at worst).
 */
const SLACK_MS = 2000;

/**
 * The files of a command study in the pre-uid layout (`models/<study>.json` + `.bin` of quantize, `transform/<study>/screening.json`
 * of transform), found from its stored config; none for a study keyed by its uid or one that reads the user's own model.
 */
function legacyFiles(study: StudyRecord, config: StudyConfig): { readonly what: string; readonly files: readonly string[] }[] {
  const o = config.evaluator.options ?? {};
  const out: { what: string; files: string[] }[] = [];
  const model = o.model;
  if (typeof model === 'string' && basename(model) === `${study.name}.json` && basename(dirname(model)) === 'models')
    out.push({ what: 'trained float model', files: [model, model.replace(/\.json$/, '.bin')] });
  const dir = o.dir;
  if (typeof dir === 'string' && basename(dir) === study.name && basename(dirname(dir)) === 'transform')
    out.push({ what: 'screening', files: [join(dir, 'screening.json')] });
  return out;
}

/**
 * Refuses to continue a study of the pre-uid layout with files that are not its own: a missing file (UserError), or one
 * modified after the study was created (ConfigError: a study of the same name in another store of the folder rewrote
 * it, and continuing would score this study's trials with that study's weights). The message names the file, both
 * times, and the ways on. Studies keyed by their uid are not checked: no other study writes their files.
 */
export function checkLegacyStudyFiles(study: StudyRecord, config: StudyConfig): void {
  const created = Date.parse(study.createdAt);
  for (const { what, files } of legacyFiles(study, config)) {
    for (const file of files) {
      if (!existsSync(file))
        throw new UserError(
          `study '${study.name}': its ${what} ${file} is missing; expected the file the study was created with (a study created before 2026-12-07 keeps it at that path), or start a new study with another --study name`,
        );
      const modified = statSync(file).mtimeMs;
      if (Number.isFinite(created) && modified > created + SLACK_MS) {
        throw new ConfigError(
          `study '${study.name}': its ${what} ${file} was rewritten at ${new Date(modified).toISOString()}, after the study was created at ${study.createdAt} ` +
            `(before 2026-12-07 a study of the same name in another store of this folder wrote the same path), so it may hold another study's weights; ` +
            `start a new study with another --study name (new studies keep their files under <study>-<uid>), or, if the file is this study's own (e.g. copied), ` +
            `set its modification time back (touch -d '${study.createdAt}' ${file}) to continue`,
        );
      }
    }
  }
}

/** A file or folder a study keeps outside its store ({@link studyFiles}). */
export interface StudyFile {
  readonly path: string;
  /** What it holds: 'trained float model', 'screening', 'block-wise artifact', 'trial folders'. */
  readonly what: string;
  /**
   * True when the name carries the study's uid, so only this study writes it; false for a name of the pre-uid layout
   * (`<study>` alone), which a study of the same name in another store of the folder may share.
   */
  readonly own: boolean;
}

/** `value` when it is a JSON object, else undefined (stored configs are read loosely: a study must be deletable whatever it holds). */
function asObject(value: unknown): Readonly<Record<string, unknown>> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

/**
 * The files and folders a study keeps outside its store, found from its stored config: quantize's trained float model
 * (`models/<study>-<uid>.json` + `.bin`), transform's screening (`transform/<study>-<uid>/`), a block-wise nas study's
 * artifact (`blockwise/<study>…`) and the `command` evaluator's trial folders (`<workdir>/<study>-<uid>/`). Only paths
 * named after the study are listed (never a model or folder the user gave); each says whether the name carries the
 * study's uid ({@link StudyFile.own}).
 */
export function studyFiles(study: StudyRecord): StudyFile[] {
  const uid = typeof study.userAttrs.uid === 'string' ? study.userAttrs.uid : undefined;
  const keyed = uid !== undefined ? studyFolderName(study.name, uid) : undefined;
  const legacy = studyFolderName(study.name, undefined);
  const evaluator = asObject(asObject(study.userAttrs.config)?.evaluator);
  const o = asObject(evaluator?.options) ?? {};
  const out: StudyFile[] = [];
  /** `path` when its name is the study's (with `ext`) in a folder named `kind`. */
  const named = (path: unknown, kind: string, what: string, ext = ''): void => {
    if (typeof path !== 'string' || basename(dirname(path)) !== kind) return;
    const base = basename(path);
    if (keyed !== undefined && base === `${keyed}${ext}`) out.push({ path, what, own: true });
    else if (base === `${legacy}${ext}`) out.push({ path, what, own: false });
  };
  named(o.model, 'models', 'trained float model', '.json');
  const model = out.find((f) => f.what === 'trained float model');
  if (model) out.push({ ...model, path: model.path.replace(/\.json$/, '.bin') });
  named(o.dir, 'transform', 'screening');
  named(o.artifact, 'blockwise', 'block-wise artifact');
  if (evaluator?.name === 'command') {
    const root = resolve(typeof o.workdir === 'string' ? o.workdir : join(tmpdir(), 'hwnas-trials'));
    out.push({ path: join(root, keyed ?? legacy), what: 'trial folders', own: keyed !== undefined });
  }
  return out;
}
