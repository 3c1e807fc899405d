/** Docs and CLI in step: docs/cli.md is the generated reference, and the README's command table names real commands. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { Command } from 'commander';
import { loadAllHelpDetails, registerCommands } from './commands/index.js';
import { cliReference } from './reference.js';

const root = process.cwd();
const program = async (): Promise<Command> => {
  const p = new Command('hwnas');
  registerCommands(p);
  await loadAllHelpDetails(p);
  return p;
};

test('docs/cli.md documents every command and flag exactly as --help shows them (regenerate: node scripts/cli-docs.mjs)', async () => {
  const p = await program();
  const page = readFileSync(join(root, 'docs', 'cli.md'), 'utf8');
  assert.equal(page, cliReference(p), 'docs/cli.md is stale: run `npx tsc -p tsconfig.json && node scripts/cli-docs.mjs`');
  // the generator itself: every long flag of every (sub)command appears on the page
  const walk = (c: Command): void => {
    for (const s of c.commands as Command[]) {
      for (const o of s.options) if (o.long) assert.ok(page.includes(`\`${o.flags.replace(/\|/g, '\\|')}\``), `${s.name()} ${o.long} missing from docs/cli.md`);
      walk(s);
    }
  };
  walk(p);
});

test("the README's command table: every row names a registered command (with --help), and every command has a row", async () => {
  const p = await program();
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const table = readme.slice(readme.indexOf('## Commands'));
  const rows = table.split('\n').filter((l) => l.startsWith('| `hwnas '));
  assert.ok(rows.length >= 10, `${rows.length} rows`);
  const named = new Set<string>();
  for (const row of rows)
    for (const m of row.matchAll(/`hwnas ([a-z-]+)(?: ([a-z|\\-]+))?/g)) {
      const cmd = (p.commands as Command[]).find((c) => c.name() === m[1]);
      assert.ok(cmd, `README row names 'hwnas ${m[1]}', which is not a command:\n${row}`);
      named.add(m[1] as string);
      for (const sub of (m[2] ?? '').split(/\\?\|/).filter((s) => s !== '' && (cmd.commands as Command[]).length > 0)) {
        const sc = (cmd.commands as Command[]).find((c) => c.name() === sub);
        assert.ok(sc, `README row names 'hwnas ${m[1]} ${sub}', not a sub-command of ${m[1]}`);
        assert.match(sc.helpInformation(), /Usage: /);
      }
      assert.match(cmd.helpInformation(), /Usage: /);
    }
  for (const c of p.commands as Command[]) assert.ok(named.has(c.name()), `command '${c.name()}' has no row in the README table`);
});
