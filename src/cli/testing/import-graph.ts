/** The static import graph of the compiled modules under dist/src (what a process loads before any `import()`), for tests. */
import { readFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** dist/src of this checkout. */
export const DIST_SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * The relative specifiers a compiled module imports or re-exports statically (not `import()`): tsc writes
 * them as statements at the start of a line, `import ... from '...'`, `export ... from '...'`, `import '...'`.
 */
export function staticImports(file: string): string[] {
  const out: string[] = [];
  for (const m of readFileSync(file, 'utf8').matchAll(/^(?:import|export)\s(?:[^;'"]*?\sfrom\s*)?['"](\.[^'"]+)['"]/gm))
    out.push(resolve(dirname(file), m[1] as string));
  return out;
}

/** The bare specifiers (packages, `node:` builtins) a compiled module imports or re-exports statically. */
function bareImports(file: string): string[] {
  return [...readFileSync(file, 'utf8').matchAll(/^(?:import|export)\s(?:[^;'"]*?\sfrom\s*)?['"]([^.'"][^'"]*)['"]/gm)].map((m) => m[1] as string);
}

/** Whether a compiled module imports the package `pkg` statically (a bare specifier, `pkg` or `pkg/...`). */
export function importsPackage(file: string, pkg: string): boolean {
  return bareImports(file).some((s) => s === pkg || s.startsWith(`${pkg}/`));
}

/**
 * The chain of static imports from `entry` to `target` (paths under dist/src; `target` a file, or a package name for
 * the first module that imports that package statically), or undefined when it is not reached.
 */
export function chainTo(entry: string, target: string | { readonly pkg: string }): string[] | undefined {
  const parent = new Map<string, string | undefined>([[entry, undefined]]);
  const queue = [entry];
  while (queue.length > 0) {
    const f = queue.shift() as string;
    if (typeof target === 'string' ? f === target : importsPackage(f, target.pkg)) {
      const chain: string[] = [];
      for (let c: string | undefined = f; c !== undefined; c = parent.get(c)) chain.unshift(relative(DIST_SRC, c));
      return chain;
    }
    for (const t of staticImports(f)) {
      if (parent.has(t)) continue;
      parent.set(t, f);
      queue.push(t);
    }
  }
  return undefined;
}

/** Every module `entry` loads through static imports (itself included; paths under dist/src), and the packages they import statically. */
export function staticClosure(entry: string): { readonly modules: string[]; readonly packages: string[] } {
  const seen = new Set<string>([entry]);
  const queue = [entry];
  const packages = new Set<string>();
  while (queue.length > 0) {
    const f = queue.shift() as string;
    for (const spec of bareImports(f))
      if (!spec.startsWith('node:'))
        packages.add(
          spec
            .split('/')
            .slice(0, spec.startsWith('@') ? 2 : 1)
            .join('/'),
        );
    for (const t of staticImports(f))
      if (!seen.has(t)) {
        seen.add(t);
        queue.push(t);
      }
  }
  return { modules: [...seen].map((f) => relative(DIST_SRC, f)).sort(), packages: [...packages].sort() };
}
