/** Input checks shared by every store implementation (so all backends reject the same things). */
import { UserError } from '../errors.js';
import type { JsonValue } from '../search/types.js';
import type { CreateStudyOptions, FinishTrialOptions, StudyRecord } from './types.js';

/** Throws unless the study options are well formed. */
export function checkCreateStudy(o: CreateStudyOptions): void {
  if (typeof o.name !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(o.name)) {
    throw new UserError(`study name ${JSON.stringify(o.name)}: expected 1-128 characters of letters, digits, '.', '_' or '-', starting with a letter or digit`);
  }
  if (!Array.isArray(o.objectives) || o.objectives.length === 0)
    throw new UserError(`study '${o.name}' objectives ${JSON.stringify(o.objectives)}: expected at least one objective`);
  const names = new Set<string>();
  for (const ob of o.objectives) {
    if (!ob || typeof ob.name !== 'string' || ob.name === '' || (ob.direction !== 'minimize' && ob.direction !== 'maximize')) {
      throw new UserError(`study '${o.name}' objective ${JSON.stringify(ob)}: expected {name, direction: 'minimize' | 'maximize'}`);
    }
    if (names.has(ob.name)) throw new UserError(`study '${o.name}' objective name '${ob.name}' appears twice; expected distinct names`);
    names.add(ob.name);
  }
}

/** Throws unless the finish options fit the study. */
export function checkFinish(study: Pick<StudyRecord, 'name' | 'objectives'>, number: number, o: FinishTrialOptions): void {
  const where = `study '${study.name}' trial ${number}`;
  if (o.state !== 'complete' && o.state !== 'pruned' && o.state !== 'failed') {
    throw new UserError(`${where}: state ${JSON.stringify(o.state)}; expected 'complete', 'pruned' or 'failed'`);
  }
  if (o.state === 'complete' && o.values === undefined) throw new UserError(`${where}: a complete trial needs values (one per objective)`);
  if (o.values !== undefined) {
    if (o.values.length !== study.objectives.length) {
      throw new UserError(
        `${where}: values ${JSON.stringify(o.values)} has ${o.values.length} entries; expected ${study.objectives.length} (${study.objectives.map((x) => x.name).join(', ')})`,
      );
    }
    if (!o.values.every((v) => typeof v === 'number' && Number.isFinite(v)))
      throw new UserError(`${where}: values ${JSON.stringify(o.values)}: expected finite numbers`);
  }
  if (o.constraints !== undefined && !o.constraints.every((v) => typeof v === 'number' && Number.isFinite(v))) {
    throw new UserError(`${where}: constraints ${JSON.stringify(o.constraints)}: expected finite numbers`);
  }
}

/** Throws unless `v` survives a JSON round trip unchanged (no undefined, NaN, functions, cycles). */
export function checkJson(what: string, v: JsonValue): string {
  let s: string | undefined;
  try {
    s = JSON.stringify(v);
  } catch (e) {
    throw new UserError(`${what}: not serialisable as JSON (${(e as Error).message})`);
  }
  if (s === undefined) throw new UserError(`${what}: ${String(v)} is not a JSON value`);
  return s;
}

/** Throws unless `since` and `watch` of {@link Store.getTrialsSince} are trial numbers; returns the watched numbers below `since`. */
export function checkSince(studyName: string, since: number, watch: readonly number[]): number[] {
  if (!Number.isInteger(since) || since < 0)
    throw new UserError(`study '${studyName}': trials since ${JSON.stringify(since)}: expected a trial number (an integer >= 0)`);
  const bad = watch.find((n) => !Number.isInteger(n) || n < 0);
  if (bad !== undefined) throw new UserError(`study '${studyName}': watched trial ${JSON.stringify(bad)}: expected a trial number (an integer >= 0)`);
  return [...new Set(watch.filter((n) => n < since))].sort((a, b) => a - b);
}

/** Current time as ISO-8601 (milliseconds, UTC). */
export function now(): string {
  return new Date().toISOString();
}

/** The error thrown when a study does not exist. */
export function noStudy(name: string, known: readonly string[]): UserError {
  return new UserError(`study '${name}' does not exist; known studies: ${known.length ? known.join(', ') : 'none'}`);
}

/** The error thrown when a trial does not exist. */
export function noTrial(study: string, number: number): UserError {
  return new UserError(`study '${study}' has no trial ${JSON.stringify(number)}`);
}

/** The error thrown when a finished trial would change. */
export function finished(study: string, number: number, state: string): UserError {
  return new UserError(`study '${study}' trial ${number} is already ${state}; finished trials are immutable`);
}
