// `npm run bench:ingest`: ingest throughput against the trivial /health route, in one
// `wrangler dev` on a fresh local state. Only the ratios mean something (see BENCHMARKS.md).
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT, applyMigrations, freePort, queryLocalD1, seed, startWorker, startWorkerWithoutEventsConsumer } from "../scripts/local-dev.mjs";
import { driveLoad, formatTable, loadSettings, summarize } from "./drive-load.mjs";
import { gzipWithFreshEventIds, withFreshEventIds } from "./envelope-bodies.mjs";
import { cpuDelta, serverCpu, waitForIdle } from "./server-cpu.mjs";

const TARGETS = { small: 0.8, large: 0.5 };

const settings = loadSettings({ switches: { "without-consumer": "leave the events queue consumer out: ingest alone" } });
const withConsumer = !settings["without-consumer"];
const fixture = (name) => readFileSync(join(ROOT, "test", "fixtures", "sdk-requests", name), "utf8");

// (b) @sentry/browser captureException of an uncaught error, 3 KB, sent as the browser SDK does.
const smallEnvelope = withFreshEventIds(fixture("browser-8.envelope"));
// (c) @sentry/node's 48 KB event, gzip'd as the Node SDK does for bodies over 32 KiB.
const largeEnvelope = gzipWithFreshEventIds(fixture("node-6.envelope"));

const persistTo = mkdtempSync(join(tmpdir(), "faultline-bench-"));
let worker;
try {
  await applyMigrations(persistTo);
  const { publicKey } = await seed(persistTo);
  const port = await freePort();
  worker = await (withConsumer ? startWorker : startWorkerWithoutEventsConsumer)({ port, persistTo });
  const base = `http://127.0.0.1:${port}`;
  const query = `sentry_version=7&sentry_key=${publicKey}`;

  const scenarios = [
    {
      name: "health (trivial)",
      url: `${base}/health`,
      headers: { "content-type": "text/plain;charset=UTF-8", origin: "http://127.0.0.1:3000" },
      nextBody: smallEnvelope,
    },
    {
      name: "envelope 3 KB",
      url: `${base}/api/1/envelope/?${query}&sentry_client=sentry.javascript.browser%2F11.12.0`,
      headers: { "content-type": "text/plain;charset=UTF-8", origin: "http://127.0.0.1:3000" },
      nextBody: smallEnvelope,
    },
    {
      name: "envelope 48 KB gzip",
      url: `${base}/api/1/envelope/?${query}`,
      headers: { "content-encoding": "gzip" },
      nextBody: largeEnvelope,
    },
  ];
  const [trivial, small, large] = scenarios;

  console.log(
    `ingest benchmark: ${settings.rounds} round(s) × ${settings.duration} s per scenario, ` +
      `${settings.connections} connections, ${settings.warmup} s warm-up each${withConsumer ? "" : ", without the queue consumer"}`,
  );
  let accepted = 0;
  let reloads = 0;
  const load = async (s, duration) => {
    const before = serverCpu(worker.child.pid, port);
    const slice = await driveLoad({ url: s.url, headers: s.headers, nextBody: s.nextBody, duration, connections: settings.connections });
    // CPU is counted until the server is idle again, so it includes the consumer catching up.
    slice.drained = await waitForIdle(worker.child.pid, port);
    slice.cpu = cpuDelta(before, serverCpu(worker.child.pid, port));
    if (slice.cpu?.restarted) reloads += 1;
    if (s !== trivial) accepted += slice.statuses.get(200) ?? 0;
    return slice;
  };
  if (settings.warmup > 0) for (const s of scenarios) await load(s, settings.warmup);

  // Alternate the scenarios, reversing the order every other round, so drift (other load on the
  // machine, the queue consumer catching up) spreads over all of them.
  const slices = new Map(scenarios.map((s) => [s, []]));
  for (let round = 1; round <= settings.rounds; round++) {
    const order = round % 2 === 1 ? scenarios : [...scenarios].reverse();
    const line = [];
    for (const s of order) {
      const slice = await load(s, settings.duration);
      slices.get(s).push(slice);
      line.push(`${s.name} ${Math.round(slice.latencies.length / slice.seconds)}/s (idle after ${slice.drained.toFixed(1)} s)`);
    }
    console.log(`round ${round}: ${line.join(", ")}`);
  }

  const figures = new Map(scenarios.map((s) => [s, summarize(slices.get(s))]));
  const baseRps = figures.get(trivial).rps;
  const ms = (v) => v.toFixed(1);
  const rows = scenarios.map((s) => {
    const f = figures.get(s);
    const cpu = (role) => (f.cpuMsPerRequest[role] === undefined ? "-" : (f.cpuMsPerRequest[role] * 1000).toFixed(0));
    const ratio = s === trivial ? "1.00x" : `${(f.rps / baseRps).toFixed(2)}x`;
    return [s.name, f.requests, Math.round(f.rps), ms(f.p50), ms(f.p99), ratio, cpu("proxy"), cpu("worker"), cpu("client"), f.failed + f.errors];
  });
  const header = ["scenario", "requests", "req/s", "p50 ms", "p99 ms", "vs trivial", "proxy µs", "worker µs", "client µs", "failed"];
  console.log(`\n${formatTable(header, rows)}`);
  console.log("(µs: CPU time per request, counted until the server is idle again, of wrangler's proxy workerd, of the workerd running the Worker (with the local queue, D1 and queue consumer), and of this load generator)\n");
  if (reloads > 0) console.log(`warning: wrangler reloaded the Worker during ${reloads} slice(s) (a source file changed); figures mix versions`);

  let valid = true;
  for (const s of scenarios) {
    const f = figures.get(s);
    if (f.failed + f.errors === 0) continue;
    valid = false;
    const codes = [...f.statuses].filter(([code]) => code !== 200).map(([code, n]) => `${n}× ${code}`);
    console.log(`${s.name}: ${[...codes, f.errors ? `${f.errors} connection errors/timeouts` : ""].filter(Boolean).join(", ")}`);
  }

  // Every 200 promises the event was kept: check the digest stored them all (warm-up included;
  // requests still in flight when a slice ended may add a few).
  if (withConsumer) {
    const stored = await storedEvents(persistTo);
    if (stored < accepted) valid = false;
    console.log(`digest stored ${stored} events for ${accepted} accepted envelopes`);
  }

  const smallRatio = figures.get(small).rps / baseRps;
  const largeRatio = figures.get(large).rps / baseRps;
  const verdict = (ratio, target) => `${ratio.toFixed(2)}x ${ratio >= target ? "≥" : "<"} ${target}x`;
  const hold = smallRatio >= TARGETS.small && largeRatio >= TARGETS.large;
  if (!valid) {
    console.log("RESULT INVALID: some ingest requests were not answered 200, or not stored");
    process.exitCode = 1;
  } else {
    console.log(`targets ${hold ? "hold" : "MISSED"}: 3 KB ${verdict(smallRatio, TARGETS.small)}, 48 KB gzip ${verdict(largeRatio, TARGETS.large)}`);
  }
} finally {
  await worker?.stop();
  rmSync(persistTo, { recursive: true, force: true });
}

async function storedEvents(persistTo) {
  const [row] = await queryLocalD1(persistTo, "SELECT count(*) AS n FROM events");
  return Number(row?.n ?? 0);
}
