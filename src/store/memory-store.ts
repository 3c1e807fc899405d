/** An in-memory {@link Store} (tests, throwaway studies). Same contract as the SQLite store, minus durability. */

import { UserError } from '../errors.js';
import type { JsonValue, Trial, TrialState } from '../search/types.js';
import type {
  AddArtifactOptions,
  ArtifactRecord,
  CreateStudyOptions,
  CreateTrialOptions,
  FinishTrialOptions,
  RunningTrialInfo,
  Store,
  StudyRecord,
} from './types.js';
import { checkCreateStudy, checkFinish, checkJson, checkSince, finished, noStudy, noTrial, now } from './validate.js';

interface MutableTrial {
  number: number;
  params: Record<string, JsonValue>;
  values: number[] | null;
  constraints: number[] | null;
  state: TrialState;
  userAttrs: Record<string, JsonValue>;
  startedAt: string;
  finishedAt: string | null;
  worker: string | null;
  heartbeatAt: string;
}

interface Entry {
  study: StudyRecord;
  trials: MutableTrial[];
}

const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

/** Keeps everything in process memory. */
export class MemoryStore implements Store {
  private studies = new Map<string, Entry>();
  private artifacts: (ArtifactRecord & { data: Uint8Array | null })[] = [];
  private nextStudyId = 1;

  createStudy(o: CreateStudyOptions): StudyRecord {
    checkCreateStudy(o);
    if (this.studies.has(o.name)) throw new UserError(`study '${o.name}' already exists; choose another name or resume it`);
    checkJson(`study '${o.name}' space`, o.space ?? null);
    checkJson(`study '${o.name}' user attributes`, o.userAttrs ?? {});
    const study: StudyRecord = {
      id: this.nextStudyId++,
      name: o.name,
      objectives: clone(o.objectives),
      space: clone(o.space ?? null),
      userAttrs: clone(o.userAttrs ?? {}),
      createdAt: now(),
    };
    this.studies.set(o.name, { study, trials: [] });
    return clone(study);
  }

  getStudy(name: string): StudyRecord | undefined {
    const e = this.studies.get(name);
    return e ? clone(e.study) : undefined;
  }

  listStudies(): StudyRecord[] {
    return [...this.studies.values()].map((e) => clone(e.study));
  }

  deleteStudy(name: string, check?: (study: StudyRecord, running: readonly RunningTrialInfo[]) => void): void {
    const e = this.entry(name);
    check?.(clone(e.study), this.getRunningTrials(name));
    this.studies.delete(name);
    this.artifacts = this.artifacts.filter((a) => a.studyName !== name);
  }

  setStudyUserAttr(studyName: string, key: string, value: JsonValue): void {
    const e = this.entry(studyName);
    checkJson(`study '${studyName}' attribute '${key}'`, value);
    e.study = { ...e.study, userAttrs: { ...e.study.userAttrs, [key]: clone(value) } };
  }

  createTrial(studyName: string, o: CreateTrialOptions): Trial {
    return this.tryCreateTrial(studyName, o, () => true) as Trial;
  }

  tryCreateTrial(studyName: string, o: CreateTrialOptions, admit: () => boolean): Trial | undefined {
    const e = this.entry(studyName);
    checkJson(`study '${studyName}' trial params`, o.params);
    checkJson(`study '${studyName}' trial user attributes`, o.userAttrs ?? {});
    if (!admit()) return undefined;
    const t = now();
    const trial: MutableTrial = {
      number: e.trials.length,
      params: clone(o.params) as Record<string, JsonValue>,
      values: null,
      constraints: null,
      state: 'running',
      userAttrs: clone(o.userAttrs ?? {}) as Record<string, JsonValue>,
      startedAt: t,
      finishedAt: null,
      worker: o.worker ?? null,
      heartbeatAt: t,
    };
    e.trials.push(trial);
    return this.freeze(trial);
  }

  finishTrial(studyName: string, number: number, o: FinishTrialOptions): Trial {
    const e = this.entry(studyName);
    const t = this.running(studyName, number);
    checkFinish(e.study, number, o);
    checkJson(`study '${studyName}' trial ${number} user attributes`, o.userAttrs ?? {});
    t.values = o.values ? [...o.values] : null;
    t.constraints = o.constraints && o.constraints.length > 0 ? [...o.constraints] : null;
    Object.assign(t.userAttrs, clone(o.userAttrs ?? {}));
    t.state = o.state;
    t.finishedAt = now();
    return this.freeze(t);
  }

  setTrialUserAttr(studyName: string, number: number, key: string, value: JsonValue): void {
    const t = this.running(studyName, number);
    checkJson(`study '${studyName}' trial ${number} attribute '${key}'`, value);
    t.userAttrs[key] = clone(value);
  }

  heartbeat(studyName: string, number: number): void {
    this.running(studyName, number).heartbeatAt = now();
  }

  getTrial(studyName: string, number: number): Trial | undefined {
    const t = this.entry(studyName).trials[number];
    return t ? this.freeze(t) : undefined;
  }

  getTrials(studyName: string, states?: readonly TrialState[]): Trial[] {
    const ts = this.entry(studyName).trials;
    return ts.filter((t) => !states || states.includes(t.state)).map((t) => this.freeze(t));
  }

  getTrialsSince(studyName: string, since: number, watch: readonly number[] = []): Trial[] {
    const ts = this.entry(studyName).trials;
    const before = checkSince(studyName, since, watch).flatMap((n) => {
      const t = ts[n];
      return t && t.state !== 'running' ? [this.freeze(t)] : [];
    });
    return [...before, ...ts.slice(since).map((t) => this.freeze(t))];
  }

  getRunningTrials(studyName: string): RunningTrialInfo[] {
    return this.entry(studyName)
      .trials.filter((t) => t.state === 'running')
      .map((t) => ({ number: t.number, worker: t.worker, heartbeatAt: t.heartbeatAt }));
  }

  addArtifact(studyName: string, o: AddArtifactOptions): ArtifactRecord {
    this.entry(studyName);
    if (o.trialNumber !== undefined && this.entry(studyName).trials[o.trialNumber] === undefined) throw noTrial(studyName, o.trialNumber);
    if ((o.data === undefined) === (o.path === undefined)) throw new UserError(`artifact '${o.name}': expected exactly one of data or path`);
    const data = o.data === undefined ? null : typeof o.data === 'string' ? new TextEncoder().encode(o.data) : new Uint8Array(o.data);
    const rec = {
      id: this.artifacts.length + 1,
      studyName,
      trialNumber: o.trialNumber ?? null,
      name: o.name,
      mediaType: o.mediaType,
      path: o.path ?? null,
      size: data?.length ?? 0,
      createdAt: now(),
      data,
    };
    this.artifacts.push(rec);
    const { data: _d, ...pub } = rec;
    return pub;
  }

  listArtifacts(studyName: string, trialNumber?: number | null): ArtifactRecord[] {
    this.entry(studyName);
    return this.artifacts
      .filter((a) => a.studyName === studyName && (trialNumber === undefined || a.trialNumber === trialNumber))
      .map(({ data: _d, ...pub }) => pub);
  }

  readArtifact(id: number): Uint8Array | undefined {
    const a = this.artifacts.find((x) => x.id === id);
    if (!a) throw new UserError(`artifact ${JSON.stringify(id)} does not exist`);
    return a.data ? new Uint8Array(a.data) : undefined;
  }

  close(): void {
    this.studies.clear();
  }

  private entry(name: string): Entry {
    const e = this.studies.get(name);
    if (!e) throw noStudy(name, [...this.studies.keys()]);
    return e;
  }

  private running(studyName: string, number: number): MutableTrial {
    const t = this.entry(studyName).trials[number];
    if (!t) throw noTrial(studyName, number);
    if (t.state !== 'running') throw finished(studyName, number, t.state);
    return t;
  }

  private freeze(t: MutableTrial): Trial {
    return clone({
      number: t.number,
      params: t.params,
      values: t.values,
      constraints: t.constraints,
      state: t.state,
      userAttrs: t.userAttrs,
      startedAt: t.startedAt,
      finishedAt: t.finishedAt,
    });
  }
}
