#!/usr/bin/env node
// Writes docs/cli.md from the registered commands (build first: npx tsc -p tsconfig.json).
import { writeFileSync } from 'node:fs';
import { Command } from 'commander';

const { loadAllHelpDetails, registerCommands } = await import('../dist/src/cli/commands/index.js');
const { cliReference } = await import('../dist/src/cli/reference.js');
const program = new Command('hwnas');
registerCommands(program);
await loadAllHelpDetails(program);
writeFileSync(new URL('../docs/cli.md', import.meta.url), cliReference(program));
process.stdout.write('wrote docs/cli.md\n');
