/** Tasks by name: `classification` and `retrieval`. */
import { UserError } from '../errors.js';
import type { Graph } from '../ir/types.js';
import { classification } from './classification.js';
import { retrieval } from './retrieval.js';
import type { Task, TaskName } from './types.js';

const TASKS: Readonly<Record<TaskName, Task>> = { classification, retrieval };

/** Names of the registered tasks. */
export function taskNames(): TaskName[] {
  return Object.keys(TASKS) as TaskName[];
}

/** The task called `name` (UserError quoting it otherwise). */
export function getTask(name: string): Task {
  const t = (TASKS as Readonly<Record<string, Task>>)[name];
  if (!t) throw new UserError(`unknown task '${name}': expected one of ${taskNames().join(', ')}`);
  return t;
}

/** The task a graph was built for: retrieval when it carries an embedding and proxies, else classification. */
export function taskOfGraph(g: Graph): Task {
  return retrieval.matches(g) ? retrieval : classification;
}
