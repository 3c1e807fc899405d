/**
 * The CLI reference (docs/cli.md) generated from the registered commands themselves, so every flag
 * `--help` shows is documented and the page cannot drift from the CLI: `src/cli/reference.test.ts`
 * fails when docs/cli.md differs from what this builds (regenerate: `node scripts/cli-docs.mjs`).
 */
import type { Command, Option } from 'commander';

const cell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\s*\n\s*/g, ' ');

function optionRow(o: Option): string {
  return `| \`${cell(o.flags)}\` | ${cell(o.description)}${o.mandatory ? ' (required)' : ''} |`;
}

function section(c: Command, path: readonly string[], out: string[]): void {
  const name = [...path, c.name()];
  const subs = c.commands as readonly Command[];
  out.push(`## hwnas ${name.join(' ')}`, '', cell(c.description()), '');
  if (subs.length === 0 || c.options.length > 0) {
    out.push('```', `hwnas ${name.join(' ')} ${c.usage()}`, '```', '');
  }
  const opts = (c.options as readonly Option[]).filter((o) => !o.hidden);
  if (opts.length > 0) out.push('| option | meaning |', '|---|---|', ...opts.map(optionRow), '');
  for (const s of subs) section(s, name, out);
}

/** Markdown of every command, sub-command and option of `program`, in registration order. */
export function cliReference(program: Command): string {
  const out = [
    '# hwnas command reference',
    '',
    'Generated from the CLI itself (`node scripts/cli-docs.mjs`; a test fails when this page and `hwnas <command> --help` differ).',
    'The README lists the commands with examples; the docs/ pages explain what each does.',
    '',
    '**Output paths.** Every command that writes files follows one rule: it creates the file or folder its `--out` (or',
    '`--policy-out`) names, never the folders above it. A missing parent folder is refused before any work, with exit 2',
    "and the path and folder named (`--out 'runs/x/t.json': folder 'runs/x' does not exist ...`); a folder where a file is",
    'expected (or the reverse, for `demo --out` and `web --out`) is refused the same way. Stores (`--store`, default',
    '`.hwnas/hwnas.sqlite`) are databases a command opens, not outputs: their folder is created.',
    '',
  ];
  for (const c of program.commands as readonly Command[]) section(c, [], out);
  return `${out.join('\n').trimEnd()}\n`;
}
