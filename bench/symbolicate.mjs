// `npm run bench:symbolicate`: what source maps cost the digest. JavaScript events of 20 frames,
// each frame in a ~2 MB source map (a generated app bundled and minified by esbuild), are
// measured two ways, with the maps and without them; the ratio of events per second is the
// figure (target ≥ 0.5×).
// - The whole digest: the events queue consumer (digestEvents, the code the Worker runs) in a
//   bench-only Worker (bench/symbolicate/) under Miniflare, as bench:digest runs it, on a fresh
//   migrated, seeded state per case; with maps, the bundle is first stored the way the upload
//   stores it (R2 files, D1 index), so the digest's real lookup runs. Also the D1 rows written
//   per event, and the cold cost: the first event of a fresh Worker with maps, less one without.
// - The prepare step alone (normalize → scrub → symbolicate → fingerprint → encode), bundled by
//   esbuild and run under Node with the files served from memory: the part maps change, without
//   the D1 writes that are the same either way. Its cold cost: the first event of a fresh module
//   instance (the map read and parsed, the minified file indexed). See BENCHMARKS.md.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { TraceMap, eachMapping } from "@jridgewell/trace-mapping";
import { build } from "esbuild";
import { zipSync } from "fflate";
import { ROOT } from "../scripts/local-dev.mjs";
import { inRequests, onFreshState, prepareBenchWorker } from "./bench-worker.mjs";
import { benchFlags } from "./drive-load.mjs";

const { flags, setting } = benchFlags(
  {
    events: { type: "string" },
    rounds: { type: "string" },
    "digest-events": { type: "string" },
    "digest-rounds": { type: "string" },
    cases: { type: "string" },
  },
  `  --digest-events N  events per case of the whole digest (default 3000, in batches of 100)
  --digest-rounds N  rounds of the whole digest, each a case with maps and one without (default 2)
  --events N         events per round of the prepare step (default 2000)
  --rounds N         rounds of the prepare step (default 5)
  --cases <list>     digest, prepare or both (default digest,prepare)`,
);
const EVENTS = setting("events", 2000);
const ROUNDS = setting("rounds", 5);
const DIGEST_EVENTS = setting("digest-events", 3000);
const DIGEST_ROUNDS = setting("digest-rounds", 2);
const CASES = (flags.cases ?? process.env.BENCH_CASES ?? "digest,prepare").split(",");
for (const c of CASES) if (c !== "digest" && c !== "prepare") throw new Error(`unknown case ${c}; cases are digest, prepare`);
// The consumer's max_batch_size; unmeasured messages first, so JIT and the map cache are warm.
const BATCH_SIZE = 100;
const WARMUP = 2 * BATCH_SIZE;
const PROJECT_ID = 1;
const median = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
const FRAMES = 20;
const DEBUG_ID = "5653b597-57df-57d7-ad37-87a474c57b6f";
const APP_URL = "https://shop.example.com/assets/app.min.js";

const dir = mkdtempSync(join(tmpdir(), "faultline-bench-symbolicate-"));
try {
  // An app of many modules, each with functions that call one another, about 2 MB of map.
  const modules = 80;
  for (let m = 0; m < modules; m++) {
    const fns = [];
    for (let f = 0; f < 40; f++) {
      fns.push(`export function handle${m}_${f}(input, depth) {
  // Module ${m}, function ${f}: validates the input and hands it on.
  const value = { id: input.id + ${f}, label: String(input.label ?? "item-${m}-${f}"), depth };
  if (value.depth > 64) throw new Error("too deep in module ${m} function ${f}");
  return depth % 3 === 0 ? value : { ...value, next: value.id * ${m + 1} };
}`);
    }
    writeFileSync(join(dir, `module${m}.js`), fns.join("\n\n"));
  }
  writeFileSync(join(dir, "main.js"), Array.from({ length: modules }, (_, m) => `export * from "./module${m}.js";`).join("\n"));
  const app = await build({
    entryPoints: [join(dir, "main.js")],
    bundle: true,
    minify: true,
    sourcemap: "external",
    format: "esm",
    write: false,
    outdir: join(dir, "out"),
    logLevel: "silent",
  });
  const mapText = new TextDecoder().decode(app.outputFiles.find((f) => f.path.endsWith(".map")).contents);
  const minifiedText = `${new TextDecoder().decode(app.outputFiles.find((f) => f.path.endsWith(".js")).contents)}\n//# debugId=${DEBUG_ID}\n`;

  // Frames at real generated positions: the starts of mapped segments inside functions, spread
  // over the file, each named as a browser names it: the minified name of its function (the
  // identifier the map names `handleM_F` where `function <name>(` is declared).
  const positions = [];
  const minifiedLines = minifiedText.split("\n");
  let enclosing = null;
  eachMapping(new TraceMap(mapText), (m) => {
    const line = minifiedLines[m.generatedLine - 1];
    if (m.name !== null && /^handle\d+_\d+$/.test(m.name) && line.slice(0, m.generatedColumn).endsWith("function "))
      enclosing = /^[\w$]+/.exec(line.slice(m.generatedColumn))[0];
    if (m.source !== null && enclosing !== null) positions.push([m.generatedLine, m.generatedColumn + 1, enclosing]);
  });
  const framesOf = (n) =>
    Array.from({ length: FRAMES }, (_, i) => {
      const [lineno, colno, fn] = positions[(n * 7919 + i * 104729) % positions.length];
      return { filename: APP_URL, abs_path: APP_URL, function: fn, lineno, colno, in_app: true };
    });
  const eventOf = (n) => ({
    event_id: (n + 1).toString(16).padStart(32, "0"),
    platform: "javascript",
    timestamp: Date.now() / 1000,
    exception: { values: [{ type: "Error", value: `too deep ${n % 50}`, stacktrace: { frames: framesOf(n % 50) } }] },
    debug_meta: { images: [{ type: "sourcemap", code_file: APP_URL, debug_id: DEBUG_ID }] },
  });

  console.log(
    `map ${(mapText.length / 1024 / 1024).toFixed(2)} MB, minified file ${(minifiedText.length / 1024).toFixed(0)} KB, ${FRAMES} frames per event`,
  );
  const load0 = loadavg();
  if (CASES.includes("digest")) await wholeDigest(dir, mapText, minifiedText, eventOf);
  if (CASES.includes("prepare")) await prepareStep(dir, mapText, minifiedText, eventOf);
  const load1 = loadavg();
  console.log(`load average (1 min) at start ${load0[0].toFixed(2)}, at end ${load1[0].toFixed(2)}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}

/** The prepare step under Node: with and without maps, alternating, and its cold first event. */
async function prepareStep(dir, mapText, minifiedText, eventOf) {
  // The prepare step, bundled from the source as the Worker bundles it.
  const entry = join(dir, "prepare.ts");
  writeFileSync(
    entry,
    `export { prepareErrorEvent } from ${JSON.stringify(join(ROOT, "queue-consumer/digest/items/error/prepare-error.ts"))};\n`,
  );
  const bundled = join(dir, "prepare.mjs");
  await build({ entryPoints: [entry], bundle: true, format: "esm", platform: "node", outfile: bundled, logLevel: "silent" });
  const load = async (instance) => (await import(`${pathToFileURL(bundled).href}?instance=${instance}`)).prepareErrorEvent;

  const files = {
    async byDebugId() {
      return {
        minified: { key: "app.min.js", url: "~/assets/app.min.js", sourcemap: "app.min.js.map" },
        map: { key: "app.min.js.map", url: null, sourcemap: null },
      };
    },
    async byUrl() {
      return null;
    },
    async read(file) {
      return file.key === "app.min.js" ? minifiedText : mapText;
    },
  };
  const sourceFiles = async () => files;
  const message = { projectId: 1, receivedAt: Date.now(), clientIp: null };
  const scrub = { enabled: true, extraKeys: [] };

  // Cold: the first event of a fresh module instance (a new isolate's empty cache), against the same without maps.
  const cold = [];
  for (let i = 0; i < 3; i++) {
    const prepare = await load(`cold-${i}`);
    await prepare(eventOf(1), message, null, scrub);
    let t = performance.now();
    await prepare(eventOf(2), message, null, scrub);
    const without = performance.now() - t;
    t = performance.now();
    const prepared = await prepare(eventOf(3), message, null, scrub, sourceFiles);
    cold.push(performance.now() - t - without);
    if (prepared.event.data.exception.values[0].stacktrace.frames[0].data?.symbolicated !== true)
      throw new Error("the frames were not symbolicated");
  }

  const prepare = await load("warm");
  await prepare(eventOf(0), message, null, scrub, sourceFiles);
  const rate = async (withMaps) => {
    const t = performance.now();
    for (let n = 0; n < EVENTS; n++) await prepare(eventOf(n), message, null, scrub, withMaps ? sourceFiles : undefined);
    return EVENTS / ((performance.now() - t) / 1000);
  };
  const rows = [];
  for (let round = 0; round < ROUNDS; round++) {
    // Alternate the order, so drift on the machine spreads over both.
    const first = round % 2 === 0;
    const a = await rate(first);
    const b = await rate(!first);
    const [withMaps, without] = first ? [a, b] : [b, a];
    rows.push({ withMaps, without, ratio: withMaps / without });
  }
  console.log(`\nprepare step under Node, ${EVENTS} events per run`);
  console.log("round  with maps ev/s  without ev/s  ratio");
  rows.forEach((r, i) =>
    console.log(
      `${String(i + 1).padStart(5)}  ${r.withMaps.toFixed(0).padStart(14)}  ${r.without.toFixed(0).padStart(12)}  ${r.ratio.toFixed(2)}×`,
    ),
  );
  console.log(`median ratio ${median(rows.map((r) => r.ratio)).toFixed(2)}× (target ≥ 0.5×)`);
  console.log(`cold first event: +${cold.map((ms) => ms.toFixed(0)).join(" / ")} ms over one without maps`);
}

/**
 * The whole digest in a bench Worker under Miniflare: rounds of a case without maps and a case
 * with them (the order swapped every other round), every case on a fresh copy of a
 * migrated, seeded state. With maps, the bundle (minified file and map, both with the build's
 * debug id, as `sentry-cli sourcemaps inject` + `upload` make it) is stored first.
 */
async function wholeDigest(dir, mapText, minifiedText, eventOf) {
  // Bundled once, so every case runs the same code; migrated and seeded once.
  const bench = await prepareBenchWorker("symbolicate", join(dir, "worker"));

  const manifest = {
    files: {
      "files/_/_/assets/app.min.js": {
        type: "minified_source",
        url: "~/assets/app.min.js",
        headers: { "debug-id": DEBUG_ID, sourcemap: "app.min.js.map" },
      },
      "files/_/_/assets/app.min.js.map": { type: "source_map", url: "~/assets/app.min.js.map", headers: { "debug-id": DEBUG_ID } },
    },
    debug_id: DEBUG_ID,
  };
  const enc = new TextEncoder();
  const zip = zipSync({
    "manifest.json": enc.encode(JSON.stringify(manifest)),
    "files/_/_/assets/app.min.js": enc.encode(minifiedText),
    "files/_/_/assets/app.min.js.map": enc.encode(mapText),
  });
  // sentry-cli's source bundle: `SYSB`, version 2, then the zip.
  const bundleBytes = new Uint8Array(8 + zip.byteLength);
  bundleBytes.set([0x53, 0x59, 0x53, 0x42, 2, 0, 0, 0]);
  bundleBytes.set(zip, 8);

  // 50 stack traces (as the prepare step uses), as envelopes the browser SDK would send. Each its
  // own exception type, so both cases group into the same 50 issues and write the same rows
  // (without maps, the minified frames alone would put every event in one issue).
  const templates = Array.from({ length: 50 }, (_, n) => {
    const { event_id: _id, timestamp: _ts, ...event } = eventOf(n);
    event.exception.values[0].type = `ValidationError${n}`;
    const payload = JSON.stringify({
      event_id: "{{EVENT_ID}}",
      timestamp: 0,
      sdk: { name: "sentry.javascript.browser", version: "10.20.0" },
      ...event,
    });
    return [
      JSON.stringify({ event_id: "{{EVENT_ID}}", sent_at: new Date().toISOString() }),
      JSON.stringify({ type: "event" }),
      payload.replace('"timestamp":0', '"timestamp":{{TIMESTAMP}}'),
      "",
    ].join("\n");
  });

  const runs = [];
  for (let round = 0; round < DIGEST_ROUNDS; round++) {
    // Alternate the order, so drift on the machine spreads over both.
    for (const withMaps of round % 2 === 0 ? [false, true] : [true, false]) {
      const state = join(dir, `state-${runs.length}`);
      try {
        runs.push({ withMaps, ...(await onFreshState(bench, state, (call) => digestCase(call, withMaps, bundleBytes, templates))) });
      } finally {
        rmSync(state, { recursive: true, force: true });
      }
    }
  }

  console.log(
    `\nwhole digest (digestEvents in a bench Worker under Miniflare), batches of ${BATCH_SIZE}, ${DIGEST_EVENTS} events per case`,
  );
  console.log("case          events/s  D1 rows/event  cold first event ms  issues  culprit");
  for (const r of runs)
    console.log(
      `${(r.withMaps ? "with maps" : "without").padEnd(12)}  ${r.rate.toFixed(0).padStart(8)}  ${r.rowsPerEvent.toFixed(2).padStart(13)}  ${String(r.firstMs).padStart(19)}  ${String(r.issues).padStart(6)}  ${r.culprit}`,
    );
  const rate = (withMaps) => runs.filter((r) => r.withMaps === withMaps).map((r) => r.rate);
  const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const ratio = mean(rate(true)) / mean(rate(false));
  const ratios = [];
  for (let i = 0; i + 1 < runs.length; i += 2)
    ratios.push(runs[i].withMaps ? runs[i].rate / runs[i + 1].rate : runs[i + 1].rate / runs[i].rate);
  const firsts = (withMaps) => runs.filter((r) => r.withMaps === withMaps).map((r) => r.firstMs);
  console.log(
    `whole-digest ratio ${ratio.toFixed(2)}× (mean with maps / mean without; per round ${ratios.map((r) => `${r.toFixed(2)}×`).join(", ")}; target ≥ 0.5×: ${ratio >= 0.5 ? "met" : "MISSED"})`,
  );
  console.log(`cold first event: with maps ${firsts(true).join(" / ")} ms, without ${firsts(false).join(" / ")} ms`);
  const problems = runs.flatMap((r) => r.problems);
  if (problems.length > 0) {
    console.log(`RESULT INVALID: ${problems.join("; ")}`);
    process.exitCode = 1;
  }
}

/** One case on a fresh Worker: the first event alone (cold), a warm-up, then the measured events. */
async function digestCase(call, withMaps, bundleBytes, templates) {
  if (withMaps) {
    const answer = await call(`/upload?project=${PROJECT_ID}`, bundleBytes);
    if (answer.state !== "ok") throw new Error(`upload: ${JSON.stringify(answer)}`);
  }
  const digest = (count, offset) =>
    inRequests(count, 10 * BATCH_SIZE, ["messages", "acked", "retried", "digestMs", "rowsWritten"], (done, n) =>
      call("/digest", { templates, count: n, offset: offset + done, batchSize: BATCH_SIZE, projectId: PROJECT_ID }),
    );
  const first = await digest(1, 0);
  const warm = await digest(WARMUP, 1);
  const run = await digest(DIGEST_EVENTS, 1 + WARMUP);
  const after = await call("/stats");
  const expected = 1 + WARMUP + DIGEST_EVENTS;
  const problems = [];
  const name = withMaps ? "with maps" : "without";
  if (first.acked + warm.acked + run.acked !== expected || first.retried + warm.retried + run.retried > 0)
    problems.push(`${name}: ${first.acked + warm.acked + run.acked} of ${expected} acked`);
  if (after.events !== expected || after.timesSeen !== expected)
    problems.push(`${name}: ${after.events} events stored, times_seen ${after.timesSeen}, expected ${expected}`);
  if (after.rejected > 0) problems.push(`${name}: ${after.rejected} rejected envelopes`);
  // Mapped frames name their original module and function; minified ones the bundle.
  if (withMaps !== /^module\d+ in handle\d+_\d+$/.test(after.culprit ?? "")) problems.push(`${name}: culprit ${after.culprit}`);
  if (after.issues !== templates.length) problems.push(`${name}: ${after.issues} issues, expected ${templates.length}`);
  return {
    rate: run.messages / (run.digestMs / 1000),
    rowsPerEvent: run.rowsWritten / run.messages,
    firstMs: first.digestMs,
    issues: after.issues,
    culprit: after.culprit,
    problems,
  };
}
