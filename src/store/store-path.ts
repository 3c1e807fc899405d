import { join } from 'node:path';

/** Default location of the store inside a project directory (its own module: the CLI's help names it without loading better-sqlite3). */
export const DEFAULT_STORE_PATH = join('.hwnas', 'hwnas.sqlite');
