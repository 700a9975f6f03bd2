// A bench-only Worker (bench/<name>/worker.ts and its wrangler.toml) bundled as `wrangler deploy`
// bundles it and run in its own Miniflare (the one wrangler runs: same workerd, same local D1)
// on a local state migrated and seeded as `npm start` does, each case on a fresh copy of it;
// calls to its routes (bench/bench-worker-routes.ts), and the CPU its workerd spends. How
// bench:digest, bench:transactions, bench:sessions, bench:symbolicate and bench:monitors run theirs.
import { createRequire } from "node:module";
import { cpSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { unstable_getMiniflareWorkerOptions } from "wrangler";
import { ROOT, applyMigrations, seed, wrangler } from "../scripts/local-dev.mjs";
import { serverCpu } from "./server-cpu.mjs";

const { Miniflare } = createRequire(createRequire(import.meta.url).resolve("wrangler/package.json"))("miniflare");

/** Bundles the Worker `config` (a wrangler.toml) names into `outdir`; what startBenchWorker needs. */
export async function bundleBenchWorker(config, outdir) {
  await wrangler(["deploy", "--dry-run", "--outdir", outdir, "--config", config]);
  const { workerOptions } = unstable_getMiniflareWorkerOptions(config);
  return { bundle: outdir, workerOptions };
}

/**
 * The Worker of bench/<name>/ bundled into `work`/bundle, once, so every case runs the same code
 * even if a source file changes meanwhile; and a state migrated and seeded in `work`/pristine
 * that every case starts a copy of.
 */
export async function prepareBenchWorker(name, work) {
  const worker = await bundleBenchWorker(join(ROOT, "bench", name, "wrangler.toml"), join(work, "bundle"));
  const pristine = await migratedState(join(work, "pristine"));
  return { worker, pristine };
}

/** A new local state in `dir`: every migration applied, the default organization and project seeded. */
export async function migratedState(dir) {
  await applyMigrations(dir);
  await seed(dir);
  return dir;
}

/**
 * Runs a bundled bench Worker on the local state in `state`. `call(path, body)` POSTs `body` as
 * JSON, or as it is if bytes (a GET without one), and returns the JSON answer, throwing on any
 * status but 2xx.
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
    const res = await mf.dispatchFetch(
      `http://bench${path}`,
      body === undefined ? {} : { method: "POST", body: body instanceof Uint8Array ? body : JSON.stringify(body) },
    );
    const text = await res.text();
    if (!res.ok) throw new Error(`${path}: ${res.status} ${text}`);
    return JSON.parse(text);
  };
  return { mf, call, dispose: () => mf.dispose() };
}

/** `run(call)` against the Worker on a fresh copy of `pristine` in `state`; the Worker disposed of after. */
export async function onFreshState({ worker, pristine }, state, run) {
  cpSync(pristine, state, { recursive: true });
  const { call, dispose } = startBenchWorker(worker, state);
  try {
    return await run(call);
  } finally {
    await dispose();
  }
}

/**
 * `run(c, call)` for each case (each with a `key`) against the Worker of bench/<name>/, each on a
 * fresh copy of a migrated, seeded state (`setUp(bench)` first, once); the figures the runs
 * answer, nulls left out. Every state is removed after.
 */
export async function runCases(name, cases, run, setUp = async () => undefined) {
  const work = mkdtempSync(join(tmpdir(), `faultline-bench-${name}-`));
  try {
    const bench = await prepareBenchWorker(name, work);
    await setUp(bench);
    const results = [];
    for (const c of cases) {
      const figures = await onFreshState(bench, join(work, c.key), (call) => run(c, call));
      if (figures) results.push(figures);
    }
    return results;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/**
 * `count` messages digested through `request(done, n)`, which sends n of them from the done-th
 * on, at most `perRequest` per call (each call stays short; the Worker times each batch); the
 * figures named in `keys` added up.
 */
export async function inRequests(count, perRequest, keys, request) {
  const sum = Object.fromEntries(keys.map((key) => [key, 0]));
  for (let done = 0; done < count; done += perRequest) {
    const figures = await request(done, Math.min(perRequest, count - done));
    for (const key of keys) sum[key] += figures[key];
  }
  return sum;
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
