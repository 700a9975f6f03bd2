// `npm run bench:ingest`: ingest throughput against the trivial /health route, in one
// `wrangler dev` on a fresh local state. Only the ratios mean something (see BENCHMARKS.md).
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  ROOT,
  applyMigrations,
  freePort,
  queryLocalD1,
  seed,
  startWorker,
  startWorkerWithoutEventsConsumer,
} from "../scripts/local-dev.mjs";
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
  // When the machine is saturated, throughput goes as the inverse of the CPU a request costs all
  // processes together; that ratio hardly moves with other load on the machine, req/s does.
  // Without /proc (not Linux) only the client's share is known: no CPU ratio then.
  const cpuPerRequest = (s) => {
    const byRole = figures.get(s).cpuMsPerRequest;
    return byRole.proxy === undefined ? Number.NaN : Object.values(byRole).reduce((a, b) => a + b, 0);
  };
  const x = (ratio) => (Number.isNaN(ratio) ? "-" : `${ratio.toFixed(2)}x`);
  const ratios = new Map(scenarios.map((s) => [s, { rps: figures.get(s).rps / baseRps, cpu: cpuPerRequest(trivial) / cpuPerRequest(s) }]));
  const rows = scenarios.map((s) => {
    const f = figures.get(s);
    const µs = (role) => (f.cpuMsPerRequest[role] === undefined ? "-" : (f.cpuMsPerRequest[role] * 1000).toFixed(0));
    const { rps, cpu } = ratios.get(s);
    return [
      s.name,
      f.requests,
      Math.round(f.rps),
      f.p50.toFixed(1),
      f.p99.toFixed(1),
      x(rps),
      x(cpu),
      µs("proxy"),
      µs("worker"),
      µs("client"),
      f.failed + f.errors,
    ];
  });
  const header = [
    "scenario",
    "requests",
    "req/s",
    "p50 ms",
    "p99 ms",
    "vs trivial",
    "by CPU",
    "proxy µs",
    "worker µs",
    "client µs",
    "failed",
  ];
  console.log(`\n${formatTable(header, rows)}`);
  console.log(
    "(vs trivial: req/s ratio; by CPU: ratio of the CPU time per request of all processes together. µs: CPU time per request,\n" +
      " counted until the server is idle again, of wrangler's proxy workerd, of the workerd running the Worker with the\n" +
      " local queue, D1 and queue consumer, and of this load generator)\n",
  );
  let valid = true;
  if (reloads > 0) {
    valid = false;
    console.log(`wrangler reloaded the Worker during ${reloads} slice(s) (a source file changed): the figures mix versions`);
  }
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

  const verdict = (s, target) => {
    const { rps, cpu } = ratios.get(s);
    return `${s.name} ${x(rps)} ${rps >= target ? "≥" : "<"} ${target}x (by CPU ${x(cpu)})`;
  };
  const hold = ratios.get(small).rps >= TARGETS.small && ratios.get(large).rps >= TARGETS.large;
  if (!valid) {
    console.log("RESULT INVALID: see above (ingest answers other than 200, events not stored, or a reload)");
    process.exitCode = 1;
  } else {
    console.log(`targets ${hold ? "hold" : "MISSED"}: ${verdict(small, TARGETS.small)}, ${verdict(large, TARGETS.large)}`);
  }
} finally {
  await worker?.stop();
  rmSync(persistTo, { recursive: true, force: true });
}

async function storedEvents(persistTo) {
  const [row] = await queryLocalD1(persistTo, "SELECT count(*) AS n FROM events");
  return Number(row?.n ?? 0);
}
