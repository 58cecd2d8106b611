// Thin wrapper over the `highs` package (HiGHS compiled to WebAssembly) for sparse LPs/QPs given as CSR
// rows. Used for the centralised reference and, in tests, to check the specialised solver.

import type { Highs } from 'highs';
import highsModule from 'highs';

// The package's ESM build exports the loader as default, while its CommonJS-style typings make
// TypeScript see the module object under NodeNext; accept both shapes.
type Loader = (typeof highsModule)['default'];
const loadHighs: Loader =
  (highsModule as unknown as { default?: Loader }).default ?? (highsModule as unknown as Loader);

let instance: Promise<Highs> | undefined;

/** The WebAssembly runtime is loaded once per thread. */
export function highs(): Promise<Highs> {
  instance ??= loadHighs();
  return instance;
}

export interface SparseProgram {
  n: number;
  cost: Float64Array;
  lower: Float64Array;
  upper: Float64Array;
  /** Optional diagonal Hessian (objective ½·xᵀ·diag(q)·x). */
  qdiag?: Float64Array;
  rowStart: Int32Array;
  colIndex: Int32Array;
  value: Float64Array;
  rowLower: Float64Array;
  rowUpper: Float64Array;
}

export interface HighsResult {
  status: string;
  objective: number;
  x: Float64Array;
  rowDual: Float64Array;
  seconds: number;
}

export interface HighsOptions {
  timeLimitSeconds?: number;
  solver?: 'choose' | 'simplex' | 'ipm' | 'pdlp';
}

export async function solveSparse(p: SparseProgram, options: HighsOptions = {}): Promise<HighsResult> {
  const h = await highs();
  const m = p.rowLower.length;
  const inf = h.infinity;
  const clamp = (a: Float64Array) =>
    a.map((v) => (v === Number.POSITIVE_INFINITY ? inf : v === Number.NEGATIVE_INFINITY ? -inf : v));
  const started = performance.now();
  const model = h.createModel({
    numCols: p.n,
    numRows: m,
    colCost: p.cost,
    colLower: clamp(p.lower),
    colUpper: clamp(p.upper),
    rowLower: clamp(p.rowLower),
    rowUpper: clamp(p.rowUpper),
    matrix: {
      format: 'csr',
      numRows: m,
      numCols: p.n,
      starts: p.rowStart,
      indices: p.colIndex,
      values: p.value,
    },
    ...(p.qdiag ? { hessian: diagonalHessian(p.qdiag) } : {}),
  });
  try {
    model.options.set({ output_flag: false });
    if (options.solver) model.options.set({ solver: options.solver });
    if (options.timeLimitSeconds !== undefined) model.options.set({ time_limit: options.timeLimitSeconds });
    const run = model.run();
    const status = h.constants.modelStatus;
    const name =
      Object.entries(status).find(([, v]) => v === run.modelStatus)?.[0] ?? String(run.modelStatus);
    const solution = model.getSolution();
    return {
      status: name,
      objective: model.getObjectiveValue(),
      x: solution.colValue,
      rowDual: solution.rowDual,
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    model.dispose();
  }
}

function diagonalHessian(q: Float64Array) {
  const n = q.length;
  const starts = new Int32Array(n + 1);
  const indices: number[] = [];
  const values: number[] = [];
  for (let j = 0; j < n; j++) {
    if (q[j]! !== 0) {
      indices.push(j);
      values.push(q[j]!);
    }
    starts[j + 1] = indices.length;
  }
  return {
    format: 'triangular' as const,
    dimension: n,
    starts,
    indices: Int32Array.from(indices),
    values: Float64Array.from(values),
  };
}
