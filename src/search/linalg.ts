/** Small dense linear algebra in plain TypeScript (row-major Float64Array), enough for Gaussian processes. */

/** Lower Cholesky factor of a symmetric positive-definite n x n matrix, or null when not positive definite. */
export function cholesky(a: Float64Array, n: number): Float64Array | null {
  const l = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i * n + j] as number;
      for (let k = 0; k < j; k++) s -= (l[i * n + k] as number) * (l[j * n + k] as number);
      if (i === j) {
        if (!(s > 0)) return null;
        l[i * n + i] = Math.sqrt(s);
      } else l[i * n + j] = s / (l[j * n + j] as number);
    }
  }
  return l;
}

/** Solves L x = b for lower-triangular L. */
export function solveLower(l: Float64Array, n: number, b: ArrayLike<number>): Float64Array {
  const x = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = b[i] as number;
    for (let k = 0; k < i; k++) s -= (l[i * n + k] as number) * (x[k] as number);
    x[i] = s / (l[i * n + i] as number);
  }
  return x;
}

/** Solves L^T x = b for lower-triangular L. */
export function solveUpperT(l: Float64Array, n: number, b: ArrayLike<number>): Float64Array {
  const x = new Float64Array(n);
  for (let i = n - 1; i >= 0; i--) {
    let s = b[i] as number;
    for (let k = i + 1; k < n; k++) s -= (l[k * n + i] as number) * (x[k] as number);
    x[i] = s / (l[i * n + i] as number);
  }
  return x;
}

/** Inverse of A from its Cholesky factor L (A = L L^T). */
export function choleskyInverse(l: Float64Array, n: number): Float64Array {
  const inv = new Float64Array(n * n);
  const e = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    e.fill(0);
    e[j] = 1;
    const col = solveUpperT(l, n, solveLower(l, n, e));
    for (let i = 0; i < n; i++) inv[i * n + j] = col[i] as number;
  }
  return inv;
}

/**
 * The Cholesky factor of A extended by one row and column: given L (n x n) of A, the cross covariances
 * `k` of the new point with the n old ones and its own variance `kss`, the (n+1) x (n+1) factor of
 * [[A, k], [k^T, kss]] in O(n^2) (null when the extended matrix is not positive definite).
 */
export function choleskyAppend(l: Float64Array, n: number, k: ArrayLike<number>, kss: number): Float64Array | null {
  const c = solveLower(l, n, k);
  let d = kss;
  for (let i = 0; i < n; i++) d -= (c[i] as number) ** 2;
  if (!(d > 0)) return null;
  const m = n + 1;
  const out = new Float64Array(m * m);
  for (let i = 0; i < n; i++) out.set(l.subarray(i * n, i * n + i + 1), i * m);
  out.set(c, n * m);
  out[n * m + n] = Math.sqrt(d);
  return out;
}
