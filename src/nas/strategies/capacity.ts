/**
 * Strategy 'capacity' (see ../capacity.ts): proposes, in order, the architectures a capacity search
 * repaired under a latency line, skipping those the history holds. Options (JSON, computed once by the
 * command from `capacitySearch`): `archSpace` (required), `points` (architecture strings, required),
 * `line` (ms, for messages).
 */
import { registerStrategy, type StrategyContext } from '../../search/registry.js';
import type { SearchStrategy } from '../../search/types.js';
import { CapacityStrategy } from '../capacity.js';
import { archSpaceOption, StrategyOptions } from './options.js';

function createCapacity(options: Readonly<Record<string, unknown>>, ctx: StrategyContext | undefined): SearchStrategy {
  const o = new StrategyOptions('capacity', options);
  const space = archSpaceOption(o, ctx, true);
  const points = o.required(
    'points',
    o.array('points', 'architecture strings', (v) => (typeof v === 'string' && v !== '' ? v : undefined), 1),
    "the repaired architectures (the command's capacity search)",
  );
  const line = o.number('line', 0);
  o.done();
  return new CapacityStrategy(space, points, line);
}

registerStrategy(
  'capacity',
  createCapacity,
  'capacity search (mbv2 spaces): random architectures repaired under a latency line, most parameters first (options.points)',
  'nas',
);
