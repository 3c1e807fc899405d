/** Turning zod validation failures into ConfigErrors that name the bad field and quote its value. */
import type { z } from 'zod';
import { ConfigError } from '../errors.js';

/** Value at a path of an object (undefined when absent). */
function at(value: unknown, path: readonly PropertyKey[]): unknown {
  let v = value;
  for (const k of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[k];
  }
  return v;
}

/** Parses `value` with `schema`; on failure throws a ConfigError listing each bad field (`where.field.sub`), its value and what was expected. */
export function parseWith<S extends z.ZodType>(schema: S, value: unknown, where: string): z.infer<S> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const lines = r.error.issues.slice(0, 5).map((i) => {
    const path = i.path.map((k) => (typeof k === 'number' ? `[${k}]` : `.${String(k)}`)).join('');
    const field = `${where}${path}`;
    if (i.code === 'unrecognized_keys') return `${field}: unknown field(s) ${i.keys.map((k) => `'${k}'`).join(', ')}`;
    const got = at(value, i.path);
    return `${field} = ${got === undefined ? '(missing)' : JSON.stringify(got)}: ${i.message.replace(/^Invalid input: /, '')}`;
  });
  throw new ConfigError(lines.join('; '));
}
