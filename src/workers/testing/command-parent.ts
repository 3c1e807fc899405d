/**
 * Test helper: a process that runs one `command` evaluation (`node command-parent.js '<options JSON>'`)
 * and prints `ready` once the command has started; SIGINT aborts the evaluation as hwnas's Ctrl-C does.
 * The orphan test kills it with SIGKILL or SIGINT and checks that no process of the command survives.
 */
import '../builtin.js';
import { evaluatorFor } from '../registry.js';

const options = JSON.parse(process.argv[2] ?? '{}');
const ac = new AbortController();
process.on('SIGINT', () => ac.abort());
const f = evaluatorFor({ name: 'command', options });
process.stdout.write('ready\n');
try {
  await f({}, { studyName: 'orphan', trialNumber: 0, seed: 1, signal: ac.signal, setUserAttr: () => undefined });
  process.stdout.write('finished\n');
} catch (e) {
  process.stdout.write(`failed ${(e as Error).message.split('\n')[0]}\n`);
}
