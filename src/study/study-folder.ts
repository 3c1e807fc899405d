/**
 * The file name that keys what a study keeps on disk: `<study>-<study uid>` (`<study>` without a uid). Study names
 * are unique only within a store, so a folder named by the study alone is shared with a study of the same name in
 * another store (or an earlier one of this store); the uid (`studyUid` of run-study.ts) tells them apart. Characters other
 * than letters, digits, `.`, `_` and `-` become `_`, and a leading `.` too.
 * @example studyFolderName('qx', '3f2a…') // 'qx-3f2a…'
 */
export function studyFolderName(studyName: string, studyUid: string | undefined): string {
  return `${studyName}${studyUid !== undefined ? `-${studyUid}` : ''}`.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\./, '_');
}
