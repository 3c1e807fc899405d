// Its own module: `hwnas transform --help` names the families without loading the IR they are built from.

/** Families of alternatives (see the module comment). */
export type AltFamily =
  | 'teacher'
  | 'conv'
  | 'narrow'
  | 'dwsep'
  | 'pw-dw'
  | 'grouped'
  | 'bottleneck'
  | 'factorised'
  | 'mbconv'
  | 'dw-gpw'
  | 'dw-bottleneck'
  | 'pool-pw'
  | 'dw-only'
  | 'skip'
  | 'lowrank';

/** Every family, in generation order. */
export const ALT_FAMILIES: readonly AltFamily[] = [
  'teacher',
  'conv',
  'narrow',
  'dwsep',
  'pw-dw',
  'grouped',
  'bottleneck',
  'factorised',
  'mbconv',
  'dw-gpw',
  'dw-bottleneck',
  'pool-pw',
  'dw-only',
  'skip',
  'lowrank',
];
