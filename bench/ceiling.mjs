// The ceiling, as the digest benchmarks drive it: plain multi-row INSERTs of as many rows of the
// stored rows' size into a scratch table of the same D1 (a bench Worker's `/ceiling` route,
// bench/bench-worker-routes.ts's runCeiling), run before and after what it is compared with so
// that drift on a shared machine hits both, each run's rate and workerd CPU kept.
import { workerCpu, workerCpuBetween } from "./bench-worker.mjs";

/** "1234/s": `rows` in `ms`. */
export const perSecond = (rows, ms) => `${Math.round(rows / (ms / 1000))}/s`;

/** The ceiling for `request` ({ count, batchSize, rowBytes }), run each time `run()` is called. */
export function ceilingRuns(call, request) {
  const runs = [];
  const sum = (key) => runs.reduce((s, r) => s + r[key], 0);
  return {
    /** Each run's rows, ms and CPU seconds. */
    runs,
    async run() {
      const before = workerCpu();
      const r = await call("/ceiling", request);
      runs.push({ ...r, cpu: workerCpuBetween(before, workerCpu()) });
    },
    /** Rows per second over all runs. */
    rate: () => sum("rows") / (sum("ms") / 1000),
    /** µs of workerd CPU (the Worker with its local D1) per row over all runs. */
    cpuPerRow: () => (sum("cpu") * 1e6) / sum("rows"),
    /** Each run's rate: "1193/s, 1608/s". */
    rates: () => runs.map((r) => perSecond(r.rows, r.ms)).join(", "),
  };
}
