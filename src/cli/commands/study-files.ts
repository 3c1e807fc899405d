/**
 * What a command's study keeps next to its store: `hwnas quantize`'s trained float model of a zoo model
 * (`models/<study>-<uid>.json` + `.bin`) and `hwnas transform`'s screening (`transform/<study>-<uid>/`). Study names
 * are unique only within a store, so two stores in one folder would share a file named by the study alone: a study
 * of one store would continue with the other's weights. The study's uid keys the name (a fresh one per study). A
 * study stored before 2026-12-07 points at its old `models/<study>.json` or `transform/<study>/` (the path is in its
 * config); {@link checkLegacyStudyFiles} refuses it when that file was rewritten after the study was created.
 */
import { existsSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { ConfigError, UserError } from '../../errors.js';
import type { StudyRecord } from '../../store/types.js';
import { studyFolderName } from '../../study/study-folder.js';
import type { StudyConfig } from './study-config.js';

/** The folders next to a store that hold its studies' files. */
export type StudyFileKind = 'models' | 'transform';

/**
 * The path of a study's file or folder `kind` next to the store at `storePath`: `<store folder>/<kind>/<study>-<uid><ext>`.
 * @example studyFilePath('runs/a.sqlite', 'models', 'qx', uid, '.json') // <abs>/runs/models/qx-<uid>.json
 */
export function studyFilePath(storePath: string, kind: StudyFileKind, studyName: string, uid: string, ext = ''): string {
  return resolve(dirname(storePath), kind, `${studyFolderName(studyName, uid)}${ext}`);
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
