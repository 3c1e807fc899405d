import cliProgress from 'cli-progress';

/** A progress reporter: a live bar on a TTY, a plain line every `plainEvery` updates otherwise. */
export interface Progress {
  update(value: number, payload?: Record<string, string | number>): void;
  /** Change the total (when it becomes known only during the work). */
  setTotal(total: number): void;
  stop(): void;
}

/** Options of {@link createProgress}. */
export interface ProgressOptions {
  readonly total: number;
  /** Label printed before the bar. */
  readonly label: string;
  /** Extra fields shown after the bar, in order: `{name}` templates resolved from the payload. */
  readonly fields?: readonly string[];
  /**
   * `--json` was given: the live bar still shows when stderr is a terminal (stdout keeps the JSON), but no
   * plain progress lines are written to a redirected stderr, so `--json 2>&1` stays parseable.
   */
  readonly quiet?: boolean;
  /** Non-TTY: print a line every N updates (default: 10 lines per run). */
  readonly plainEvery?: number;
}

/** Create a progress reporter on stderr (stdout stays clean for tables and JSON). */
export function createProgress(o: ProgressOptions): Progress {
  if (o.quiet && !process.stderr.isTTY) return { update() {}, setTotal() {}, stop() {} };
  const fields = o.fields ?? [];
  // cli-progress only fills `{word}` tokens: a field named 'img/s' needs a token of word characters
  const token = (f: string): string => `f_${f.replace(/\W/g, '_')}`;
  if (process.stderr.isTTY) {
    const line = (eta: string): string => `${o.label} [{bar}] {value}/{total} {percentage}% | ETA ${eta}${fields.map((f) => ` | ${f} {${token(f)}}`).join('')}`;
    const withEta = line('{eta_formatted}');
    // before the first unit is done there is no rate to estimate from (cli-progress would print 'ETA 0s')
    const noEta = line('--');
    const bar = new cliProgress.SingleBar(
      {
        format: (options, params, payload) => cliProgress.Format.Formatter({ ...options, format: params.value > 0 ? withEta : noEta }, params, payload),
        stream: process.stderr,
        hideCursor: true,
        etaBuffer: 50,
      },
      cliProgress.Presets.shades_classic,
    );
    const tokens = (p: Record<string, string | number> | undefined): Record<string, string | number> =>
      Object.fromEntries(fields.filter((f) => p?.[f] !== undefined).map((f) => [token(f), p?.[f] as string | number]));
    bar.start(o.total, 0, Object.fromEntries(fields.map((f) => [token(f), ''])));
    return { update: (v, p) => bar.update(v, tokens(p)), setTotal: (t) => bar.setTotal(t), stop: () => bar.stop() };
  }
  let total = o.total;
  let every = o.plainEvery ?? Math.max(1, Math.ceil(total / 10));
  let last = -1;
  return {
    setTotal(t) {
      total = t;
      every = o.plainEvery ?? Math.max(1, Math.ceil(total / 10));
    },
    update(v, p) {
      // a count already printed is not printed again (a reporter that repeats its total would end with two equal lines)
      if (v !== last && (v === total || v - last >= every)) {
        last = v;
        const extra = fields.map((f) => (p && p[f] !== undefined ? ` ${f}=${p[f]}` : '')).join('');
        process.stderr.write(`${o.label} ${v}/${total}${extra}\n`);
      }
    },
    stop() {},
  };
}
