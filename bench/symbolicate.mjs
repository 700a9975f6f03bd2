// `npm run bench:symbolicate`: what source maps cost the digest. JavaScript events of 20 frames,
// each frame in a ~2 MB source map (a generated app bundled and minified by esbuild), go through
// the error kind's prepare step (normalize → scrub → symbolicate → fingerprint → encode) with the
// maps and without them; the ratio of events per second is the figure (target ≥ 0.5×). The cold
// cost is the first event's extra time in a fresh isolate's state (the map read and parsed, the
// minified file indexed). The prepare step is bundled by esbuild and run under Node: it is the
// part of the digest that maps change, so the ratio is a floor for the whole digest's, whose D1
// writes are the same with or without maps. See BENCHMARKS.md.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { TraceMap, eachMapping } from "@jridgewell/trace-mapping";
import { build } from "esbuild";
import { ROOT } from "../scripts/local-dev.mjs";

const { values: flags } = parseArgs({
  options: { events: { type: "string" }, rounds: { type: "string" }, help: { type: "boolean", short: "h" } },
});
if (flags.help) {
  console.log("options: --events N (per round, default 2000), --rounds N (default 5)");
  process.exit(0);
}
const EVENTS = Number(flags.events ?? process.env.BENCH_EVENTS ?? 2000);
const ROUNDS = Number(flags.rounds ?? process.env.BENCH_ROUNDS ?? 5);
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

  // Frames at real generated positions: the starts of mapped segments, spread over the file.
  const positions = [];
  eachMapping(new TraceMap(mapText), (m) => {
    if (m.source !== null) positions.push([m.generatedLine, m.generatedColumn + 1]);
  });
  const framesOf = (n) =>
    Array.from({ length: FRAMES }, (_, i) => {
      const [lineno, colno] = positions[(n * 7919 + i * 104729) % positions.length];
      return { filename: APP_URL, abs_path: APP_URL, function: "e", lineno, colno, in_app: true };
    });
  const eventOf = (n) => ({
    event_id: (n + 1).toString(16).padStart(32, "0"),
    platform: "javascript",
    timestamp: Date.now() / 1000,
    exception: { values: [{ type: "Error", value: `too deep ${n % 50}`, stacktrace: { frames: framesOf(n % 50) } }] },
    debug_meta: { images: [{ type: "sourcemap", code_file: APP_URL, debug_id: DEBUG_ID }] },
  });

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
  const median = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
  console.log(
    `map ${(mapText.length / 1024 / 1024).toFixed(2)} MB, minified file ${(minifiedText.length / 1024).toFixed(0)} KB, ${FRAMES} frames per event, ${EVENTS} events per run`,
  );
  console.log("round  with maps ev/s  without ev/s  ratio");
  rows.forEach((r, i) =>
    console.log(
      `${String(i + 1).padStart(5)}  ${r.withMaps.toFixed(0).padStart(14)}  ${r.without.toFixed(0).padStart(12)}  ${r.ratio.toFixed(2)}×`,
    ),
  );
  console.log(`median ratio ${median(rows.map((r) => r.ratio)).toFixed(2)}× (target ≥ 0.5×)`);
  console.log(`cold first event: +${cold.map((ms) => ms.toFixed(0)).join(" / ")} ms over one without maps`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
