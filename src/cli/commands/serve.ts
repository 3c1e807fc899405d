import { UserError } from '../../errors.js';
import { startServer } from '../../server/server.js';
import { intOption, untilStopped } from '../io.js';
import { requireStorePath } from './study.js';

/** Errors of `listen` that are the user's to fix (a busy port, a bad --host). */
const LISTEN_ERRORS: Readonly<Record<string, string>> = {
  EADDRINUSE: 'the port is in use: pick another with --port (0 = any free port)',
  EACCES: 'permission denied: ports below 1024 need privileges, use --port 8080 or above',
  EADDRNOTAVAIL: 'the --host address is not an address of this machine',
  ENOTFOUND: 'the --host name does not resolve: expected an interface address such as 127.0.0.1 or 0.0.0.0',
  EAI_AGAIN: 'the --host name cannot be resolved now',
};

/** The action of the command registered in src/cli/register/serve.ts (imported when that command runs). */
export const serveAction = async (f: { port?: string; host?: string; store?: string; allowHost?: string }) => {
  const port = intOption('--port', f.port, 8080, 0);
  const host = f.host ?? '127.0.0.1';
  const storePath = requireStorePath(f.store);
  const allowedHosts = (f.allowHost ?? '')
    .split(',')
    .map((h) => h.trim())
    .filter((h) => h !== '');
  const srv = await startServer({ storePath, port, host, allowedHosts }).catch((e: unknown) => {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code ? LISTEN_ERRORS[code] : undefined;
    if (why) throw new UserError(`cannot listen on ${host}:${port}: ${why} (${code})`);
    throw e;
  });
  process.stdout.write(`hwnas dashboard on ${srv.url} (Ctrl-C to stop)\n`);
  await untilStopped(() => srv.close());
};
