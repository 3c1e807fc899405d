/**
 * The module boundaries of docs/architecture.md, checked: the "may import" table there is the rule, parsed
 * from the doc, so the doc stays true. Every import of every non-test file under src/ must be allowed by its
 * row; the table must point down (a row names only rows above it); the module graph must have no cycle;
 * no module imports a testing/ folder; packages with one home are imported only there.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const DOC = join(ROOT, 'docs', 'architecture.md');

/** One row of the "may import" table. */
interface Row {
  /** Short name used in "may import" cells: the path under src/ without `.ts` (`search/spaces`, `errors`). */
  readonly name: string;
  /** Path under the repository root (`src/search/spaces`, `src/errors.ts`). */
  readonly path: string;
  readonly mayImport: ReadonlySet<string>;
}

/** The cells of the markdown table rows that follow the header line `header` (matched by its first cells). */
function tableAfter(doc: string, header: RegExp): string[][] {
  const lines = doc.split('\n');
  const at = lines.findIndex((l) => header.test(l));
  assert.ok(at >= 0, `docs/architecture.md: no table with a header matching ${header}`);
  const rows: string[][] = [];
  for (const line of lines.slice(at + 2)) {
    if (!line.startsWith('|')) break;
    rows.push(
      line
        .slice(1, line.endsWith('|') ? -1 : undefined)
        .split('|')
        .map((c) => c.trim()),
    );
  }
  return rows;
}

function unquote(cell: string): string {
  return cell.replace(/^`|`$/g, '');
}

/** The module table of the doc, in order (bottom of the stack first). */
function parseModules(doc: string): Row[] {
  const rows: Row[] = [];
  for (const cells of tableAfter(doc, /^\|\s*folder\s*\|\s*owns\s*\|\s*may import\s*\|/)) {
    const path = unquote(cells[0] ?? '');
    assert.match(path, /^src\/[a-z0-9/-]+(\.ts)?$/, `docs/architecture.md: row '${cells[0]}' does not name a path under src/`);
    const name = path.slice('src/'.length).replace(/\.ts$/, '');
    const cell = cells[2] ?? '';
    let mayImport: Set<string>;
    if (cell === '—' || cell === '-' || cell === '') mayImport = new Set();
    else if (cell === 'everything') mayImport = new Set(rows.map((r) => r.name));
    else mayImport = new Set(cell.split(',').map((s) => s.trim()));
    rows.push({ name, path, mayImport });
  }
  return rows;
}

/** The package table of the doc: package prefix -> the only module that may import it. */
function parsePackages(doc: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const cells of tableAfter(doc, /^\|\s*package\s*\|\s*only imported by\s*\|/)) out.set(unquote(cells[0] ?? ''), cells[1] ?? '');
  return out;
}

function listSources(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...listSources(p));
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

/** Repository-relative path with forward slashes. */
function rel(p: string): string {
  return relative(ROOT, p).split(sep).join('/');
}

function isTestCode(path: string): boolean {
  return path.endsWith('.test.ts') || path.split('/').includes('testing');
}

/** The row a file belongs to: the longest row path that is the file or a folder holding it. */
function rowOf(rows: readonly Row[], path: string): Row | undefined {
  let best: Row | undefined;
  for (const r of rows) {
    const hit = r.path.endsWith('.ts') ? path === r.path : path.startsWith(`${r.path}/`);
    if (hit && (!best || r.path.length > best.path.length)) best = r;
  }
  return best;
}

/** One import of a source file: the specifier, the line it is on, and the resolved path for relative ones. */
interface Import {
  readonly spec: string;
  readonly line: number;
  readonly target?: string;
}

/** Every static, type-only, re-export and dynamic import of a file (comments and strings ignored). */
function importsOf(file: string): Import[] {
  const text = readFileSync(file, 'utf8');
  const info = ts.preProcessFile(text, true, true);
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022);
  return info.importedFiles.map((f) => {
    const line = sf.getLineAndCharacterOfPosition(f.pos).line + 1;
    if (!f.fileName.startsWith('.')) return { spec: f.fileName, line };
    return { spec: f.fileName, line, target: rel(resolve(dirname(file), f.fileName.replace(/\.js$/, '.ts'))) };
  });
}

/** A cycle of the directed graph, as a list of nodes, or undefined (depth-first search). */
function findCycle(graph: ReadonlyMap<string, ReadonlySet<string>>): string[] | undefined {
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (n: string): string[] | undefined => {
    state.set(n, 'open');
    stack.push(n);
    for (const m of [...(graph.get(n) ?? [])].sort()) {
      if (state.get(m) === 'open') return [...stack.slice(stack.indexOf(m)), m];
      if (state.get(m) === undefined) {
        const c = visit(m);
        if (c) return c;
      }
    }
    stack.pop();
    state.set(n, 'done');
    return undefined;
  };
  for (const n of [...graph.keys()].sort()) {
    if (state.get(n) === undefined) {
      const c = visit(n);
      if (c) return c;
    }
  }
  return undefined;
}

describe('module boundaries (docs/architecture.md)', () => {
  const doc = readFileSync(DOC, 'utf8');
  const rows = parseModules(doc);
  const names = new Set(rows.map((r) => r.name));
  const sources = listSources(join(ROOT, 'src'))
    .map((f) => ({ file: f, path: rel(f) }))
    .filter((s) => !isTestCode(s.path));

  it('the table names real modules and points down (a row names only rows above it)', () => {
    assert.ok(rows.length >= 10, `expected the module table, parsed ${rows.length} rows`);
    const problems: string[] = [];
    rows.forEach((r, i) => {
      const above = new Set(rows.slice(0, i).map((x) => x.name));
      for (const m of r.mayImport) {
        if (!names.has(m)) problems.push(`${r.path}: 'may import' names '${m}', which is no row of the table`);
        else if (!above.has(m)) problems.push(`${r.path}: 'may import' names '${m}', which is not above it`);
      }
      if (!sources.some((s) => rowOf(rows, s.path) === r)) problems.push(`${r.path}: no source file belongs to this row`);
    });
    assert.deepEqual(problems, []);
  });

  it('every source file belongs to a row', () => {
    const orphans = sources.filter((s) => rowOf(rows, s.path) === undefined).map((s) => s.path);
    assert.deepEqual(orphans, [], 'add a row to the table in docs/architecture.md for these files');
  });

  it('every import between modules is allowed by the importing row', () => {
    const problems: string[] = [];
    for (const s of sources) {
      const from = rowOf(rows, s.path);
      if (!from) continue;
      for (const imp of importsOf(s.file)) {
        if (imp.target === undefined || !imp.target.startsWith('src/')) continue;
        const to = rowOf(rows, imp.target);
        if (!to || to === from) continue;
        if (!from.mayImport.has(to.name)) problems.push(`${s.path}:${imp.line} (${from.name}) imports ${imp.target} (${to.name})`);
      }
    }
    assert.deepEqual(problems, [], 'upward or sideways imports: move the code down, pass it in, or change the rule in docs/architecture.md');
  });

  it('the graph of module imports has no cycle', () => {
    const graph = new Map<string, Set<string>>();
    for (const s of sources) {
      const from = rowOf(rows, s.path);
      if (!from) continue;
      for (const imp of importsOf(s.file)) {
        const to = imp.target === undefined ? undefined : rowOf(rows, imp.target);
        if (!to || to === from) continue;
        const set = graph.get(from.name) ?? new Set<string>();
        set.add(to.name);
        graph.set(from.name, set);
      }
    }
    assert.ok(graph.size >= 10, `expected imports between modules, found ${graph.size} importing modules`);
    assert.equal(findCycle(graph)?.join(' -> '), undefined);
  });

  it('no module imports a testing/ folder (conformance suites and fixtures are for tests)', () => {
    const problems: string[] = [];
    for (const s of sources) {
      for (const imp of importsOf(s.file)) if (imp.target !== undefined && isTestCode(imp.target)) problems.push(`${s.path}:${imp.line} imports ${imp.target}`);
    }
    assert.deepEqual(problems, []);
  });

  it('packages with one home are imported only there', () => {
    const homes = parsePackages(doc);
    assert.ok(homes.size > 0, 'docs/architecture.md: the package table is missing');
    for (const home of homes.values()) assert.ok(names.has(home), `package table names '${home}', which is no row of the module table`);
    const problems: string[] = [];
    for (const s of sources) {
      const from = rowOf(rows, s.path);
      for (const imp of importsOf(s.file)) {
        if (imp.target !== undefined) continue;
        for (const [pkg, home] of homes) {
          const hit = pkg.endsWith('/') ? imp.spec.startsWith(pkg) : imp.spec === pkg || imp.spec.startsWith(`${pkg}/`);
          if (hit && from?.name !== home) problems.push(`${s.path}:${imp.line} imports ${imp.spec} (only ${home} may)`);
        }
      }
    }
    assert.deepEqual(problems, []);
  });

  it('the checks catch a violation (an upward import, a cycle)', () => {
    // A rule that cannot fail proves nothing: the same functions on a made-up table and graph.
    const toy = parseModules('| folder | owns | may import |\n|---|---|---|\n| `src/a` | a | — |\n| `src/b` | b | a |\n| `src/b/c` | c | everything |\n');
    assert.deepEqual(
      toy.map((r) => [r.name, [...r.mayImport]]),
      [
        ['a', []],
        ['b', ['a']],
        ['b/c', ['a', 'b']],
      ],
    );
    assert.equal(rowOf(toy, 'src/b/c/x.ts')?.name, 'b/c');
    assert.equal(rowOf(toy, 'src/b/x.ts')?.name, 'b');
    assert.equal(rowOf(toy, 'src/d/x.ts'), undefined);
    assert.equal(toy[0]?.mayImport.has('b'), false);
    assert.deepEqual(
      findCycle(
        new Map([
          ['a', new Set(['b'])],
          ['b', new Set(['c'])],
          ['c', new Set(['a'])],
        ]),
      ),
      ['a', 'b', 'c', 'a'],
    );
    assert.equal(findCycle(new Map([['a', new Set(['b'])]])), undefined);
  });
});
