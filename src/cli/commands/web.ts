import { writeWhatIfSite } from '../../web/site.js';
import { checkOutDir, printJson } from '../io.js';

/** The action of the command registered in src/cli/register/web.ts (imported when that command runs). */
export const webAction = (f: { out: string; json?: boolean }) => {
  const { path, bytes } = writeWhatIfSite(checkOutDir('--out', f.out));
  if (f.json) return printJson({ out: path, bytes });
  process.stdout.write(`wrote ${path} (${(bytes / 1e6).toFixed(1)} MB; opens offline: everything is computed in the page)\n`);
};
