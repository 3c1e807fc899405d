/**
 * How a network's measured time relates to the sum of its kernels timed alone (host-cpu and the tables `hwnas measure`
 * writes): the fit of a scale and an overhead on whole-network timings. Pure arithmetic, no onnxruntime, so the
 * predictor and the lookup tables use it without loading the host target.
 */

/**
 * How kernel times compose into a network's time on this machine: `kernelScale · Σ kernels + fixedMs`.
 * A kernel timed alone (its own session, cold caches, layout reorders around it) runs slower than inside a
 * network, most of all the small kernels of small networks (issue 20: the plain sum plus the run overhead
 * over-estimated mnist-cnn 2.5x and an mbv2-micro net 8x), so the composition is calibrated on the
 * whole-network timings measured with the kernels:
 * - one network: exact on it, with a non-negative overhead and a scale of at most 1 (`whole >= Σ`: scale 1
 *   and the difference as overhead; otherwise the ratio as scale and no overhead);
 * - two or more: least squares on relative error (each network weighted by 1/measured²) of scale and
 *   overhead, falling back to a ratio through the origin when the fitted overhead is negative.
 */
export interface HostComposition {
  readonly kernelScale: number;
  readonly fixedMs: number;
}

/** Whether a (Σ kernels, whole network) pair can enter the fit: both times positive and finite. */
export function usableTiming(r: { readonly kernelSumMs: number; readonly networkMs: number }): boolean {
  return r.kernelSumMs > 0 && r.networkMs > 0 && Number.isFinite(r.kernelSumMs) && Number.isFinite(r.networkMs);
}

/** Fit {@link HostComposition} on (Σ kernels, whole network) pairs of measured networks (those {@link usableTiming} keeps). */
export function fitHostComposition(rows: readonly { readonly kernelSumMs: number; readonly networkMs: number }[]): HostComposition {
  const ok = rows.filter(usableTiming);
  if (ok.length === 0) return { kernelScale: 1, fixedMs: 0 };
  if (ok.length === 1) {
    const { kernelSumMs: k, networkMs: n } = ok[0] as (typeof ok)[number];
    return n >= k ? { kernelScale: 1, fixedMs: n - k } : { kernelScale: n / k, fixedMs: 0 };
  }
  // weighted least squares of n ≈ a·k + b with weights 1/n²
  let sw = 0;
  let sk = 0;
  let sn = 0;
  let skk = 0;
  let skn = 0;
  for (const { kernelSumMs: k, networkMs: n } of ok) {
    const w = 1 / (n * n);
    sw += w;
    sk += w * k;
    sn += w * n;
    skk += w * k * k;
    skn += w * k * n;
  }
  const det = sw * skk - sk * sk;
  if (det > 1e-12 * sw * skk) {
    const a = (sw * skn - sk * sn) / det;
    const b = (sn - a * sk) / sw;
    if (a > 0 && b >= 0) return { kernelScale: a, fixedMs: b };
  }
  return { kernelScale: skn / skk, fixedMs: 0 };
}
