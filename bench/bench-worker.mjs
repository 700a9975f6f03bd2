// A bench-only Worker (bench/<name>/worker.ts and its wrangler.toml) bundled as `wrangler deploy`
// bundles it and run in its own Miniflare (the one wrangler runs: same workerd, same local D1)
// on a local state migrated and seeded as `npm start` does, and the CPU its workerd spends. The
// way bench:sessions and bench:transactions run theirs; bench:monitors runs its Worker with this.
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { unstable_getMiniflareWorkerOptions } from "wrangler";
import { applyMigrations, seed, wrangler } from "../scripts/local-dev.mjs";
import { serverCpu } from "./server-cpu.mjs";

const { Miniflare } = createRequire(createRequire(import.meta.url).resolve("wrangler/package.json"))("miniflare");

/** Bundles the Worker `config` (a wrangler.toml) names into `outdir`; what startBenchWorker needs. */
export async function bundleBenchWorker(config, outdir) {
  await wrangler(["deploy", "--dry-run", "--outdir", outdir, "--config", config]);
  const { workerOptions } = unstable_getMiniflareWorkerOptions(config);
  return { bundle: outdir, workerOptions };
}

/** A new local state in `dir`: every migration applied, the default organization and project seeded. */
export async function migratedState(dir) {
  await applyMigrations(dir);
  await seed(dir);
  return dir;
}

/**
 * Runs a bundled bench Worker on the local state in `state`. `call(path, body)` POSTs `body` as
 * JSON (a GET without one) and returns the JSON answer, throwing on any status but 2xx.
 */
export function startBenchWorker({ bundle, workerOptions }, state) {
  const mf = new Miniflare({
    ...workerOptions,
    modules: true,
    scriptPath: join(bundle, "worker.js"),
    modulesRoot: bundle,
    d1Persist: join(state, "v3", "d1"),
    r2Persist: join(state, "v3", "r2"),
  });
  const call = async (path, body) => {
    const res = await mf.dispatchFetch(`http://bench${path}`, body === undefined ? {} : { method: "POST", body: JSON.stringify(body) });
    const text = await res.text();
    if (!res.ok) throw new Error(`${path}: ${res.status} ${text}`);
    return JSON.parse(text);
  };
  return { mf, call, dispose: () => mf.dispose() };
}

const processGroup = (() => {
  try {
    return Number(readFileSync("/proc/self/stat", "utf8").split(") ")[1]?.split(" ")[2]);
  } catch {
    return Number.NaN; // no /proc
  }
})();

/**
 * CPU seconds spent so far by the workerd processes this process started (the bench Workers
 * with their local D1, which runs in the same workerd), with the set of processes: a snapshot
 * for workerCpuBetween. Null without /proc.
 */
export function workerCpu() {
  if (!Number.isInteger(processGroup)) return null;
  const cpu = serverCpu(processGroup, -1);
  return cpu === null ? null : { seconds: cpu.worker, pids: cpu.pids };
}

/** Seconds of workerd CPU between two snapshots; NaN when unknown or a workerd came or went. */
export function workerCpuBetween(before, after) {
  if (!before || !after || before.pids !== after.pids) return Number.NaN;
  return after.seconds - before.seconds;
}
