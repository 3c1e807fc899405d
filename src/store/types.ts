/**
 * The experiment store: studies, trials (parameters, objective values, constraint values, user
 * attributes, states, timestamps) and artifacts.
 */
import type { JsonValue, Objective, Params, Trial, TrialState } from '../search/types.js';

/** A study as stored. */
export interface StudyRecord {
  /** Store-assigned id. */
  readonly id: number;
  /** Unique name. */
  readonly name: string;
  /** Objectives in value order. */
  readonly objectives: readonly Objective[];
  /** JSON description of the search space (SearchSpace.toJSON()), or null. */
  readonly space: JsonValue;
  /** Free-form study attributes (config, seed, strategy, target, ...). */
  readonly userAttrs: Readonly<Record<string, JsonValue>>;
  /** ISO-8601 creation time. */
  readonly createdAt: string;
}

/** Input of {@link Store.createStudy}. */
export interface CreateStudyOptions {
  readonly name: string;
  readonly objectives: readonly Objective[];
  readonly space?: JsonValue;
  readonly userAttrs?: Readonly<Record<string, JsonValue>>;
}

/** Input of {@link Store.createTrial}. */
export interface CreateTrialOptions {
  readonly params: Params;
  readonly userAttrs?: Readonly<Record<string, JsonValue>>;
  /** Who runs the trial (host:pid:nonce), used to detect trials of dead processes. */
  readonly worker?: string;
}

/** Input of {@link Store.finishTrial}. */
export interface FinishTrialOptions {
  /** 'complete' (values required), 'pruned' or 'failed'. */
  readonly state: Exclude<TrialState, 'running'>;
  /** One finite value per objective; required for 'complete'. */
  readonly values?: readonly number[];
  /** Constraint violations (<= 0 feasible). */
  readonly constraints?: readonly number[];
  /** Attributes written together with the result (e.g. an error message). */
  readonly userAttrs?: Readonly<Record<string, JsonValue>>;
}

/** A running trial with its liveness information (for crash recovery). */
export interface RunningTrialInfo {
  readonly number: number;
  readonly worker: string | null;
  /** ISO-8601 time of the last heartbeat (or of creation). */
  readonly heartbeatAt: string;
}

/** An artifact (a policy file, a model path, a plot) attached to a study or one of its trials. */
export interface ArtifactRecord {
  readonly id: number;
  readonly studyName: string;
  /** Trial number, or null for a study-level artifact. */
  readonly trialNumber: number | null;
  readonly name: string;
  /** MIME type, e.g. 'application/json'. */
  readonly mediaType: string;
  /** A path the artifact lives at (outside the store), or null when its bytes are stored inline. */
  readonly path: string | null;
  /** Size of inline bytes (0 for path artifacts). */
  readonly size: number;
  readonly createdAt: string;
}

/** Input of {@link Store.addArtifact}: inline bytes (`data`) or a reference (`path`). */
export interface AddArtifactOptions {
  readonly trialNumber?: number;
  readonly name: string;
  readonly mediaType: string;
  readonly data?: Uint8Array | string;
  readonly path?: string;
}

/**
 * The experiment store. Contract (every implementation passes src/store/testing/store-conformance.ts):
 * - Read-your-writes: a value written by a call is returned by every later read through the same
 *   store object, and (for shared backends such as SQLite) by any store opened later on the same file.
 * - Atomicity: every method is all-or-nothing; `createTrial` assigns numbers 0, 1, 2, ... per study
 *   without gaps or duplicates, even when several processes share the store.
 * - Finished trials are immutable: once `finishTrial` has set 'complete', 'pruned' or 'failed',
 *   any further `finishTrial`, `setTrialUserAttr` or `heartbeat` on it throws a UserError.
 * - Durability (SQLite): a method that has returned survives a crash of the process (kill -9).
 * - Thread safety: one store object per thread/process; methods are synchronous and never interleave.
 * - Errors: unknown studies or trials and invalid input throw a UserError quoting the bad value.
 * - Returned objects are fresh copies; mutating them does not change the store.
 */
export interface Store {
  /** Creates a study (UserError if the name is taken). */
  createStudy(options: CreateStudyOptions): StudyRecord;
  /** The study, or undefined. */
  getStudy(name: string): StudyRecord | undefined;
  /** All studies, oldest first. */
  listStudies(): StudyRecord[];
  /**
   * Deletes a study with its trials and artifacts, all or nothing (UserError naming the known studies when there is no
   * such study). `check`, when given, runs first inside the same transaction, holding the store's write lock, with the
   * study and its running trials: if it throws, nothing is deleted and the error propagates (`hwnas study delete`
   * refuses a study that a live process is running this way, with no window in which that process could start a trial).
   */
  deleteStudy(name: string, check?: (study: StudyRecord, running: readonly RunningTrialInfo[]) => void): void;
  /** Sets one study attribute (replacing the previous value). */
  setStudyUserAttr(studyName: string, key: string, value: JsonValue): void;
  /** Creates a running trial with the next number. */
  createTrial(studyName: string, options: CreateTrialOptions): Trial;
  /**
   * Creates a running trial with the next number if `admit` returns true. `admit` runs inside the
   * transaction that creates the trial, holding the store's write lock (so every other process's writes
   * before it are visible through reads in `admit`, and none can land until the trial is written); on
   * false nothing is written and the result is undefined. The study loop reserves trials against its
   * budget with it, so several processes sharing a study never run more than `nTrials`.
   */
  tryCreateTrial(studyName: string, options: CreateTrialOptions, admit: () => boolean): Trial | undefined;
  /** Finishes a running trial (writes values, constraints, attributes and state in one transaction). */
  finishTrial(studyName: string, number: number, options: FinishTrialOptions): Trial;
  /** Sets one attribute of a running trial. */
  setTrialUserAttr(studyName: string, number: number, key: string, value: JsonValue): void;
  /** Records that a running trial's worker is alive. */
  heartbeat(studyName: string, number: number): void;
  /** One trial, or undefined. */
  getTrial(studyName: string, number: number): Trial | undefined;
  /** Trials in number order, optionally only those in `states`. */
  getTrials(studyName: string, states?: readonly TrialState[]): Trial[];
  /**
   * Incremental read for callers that cache the history (the study loop): the trials numbered
   * `since` or higher, plus those numbered in `watch` (the ones the caller last saw running) that
   * have finished since; in number order, each once. Costs what it returns, not the study's size.
   */
  getTrialsSince(studyName: string, since: number, watch?: readonly number[]): Trial[];
  /** Running trials with worker and heartbeat (for crash recovery). */
  getRunningTrials(studyName: string): RunningTrialInfo[];
  /** Attaches an artifact. */
  addArtifact(studyName: string, options: AddArtifactOptions): ArtifactRecord;
  /** Artifacts of a study (all, or of one trial when `trialNumber` is given; null = study-level only). */
  listArtifacts(studyName: string, trialNumber?: number | null): ArtifactRecord[];
  /** Inline bytes of an artifact (undefined for path artifacts). */
  readArtifact(id: number): Uint8Array | undefined;
  /** Releases resources; the object is unusable afterwards. */
  close(): void;
}
