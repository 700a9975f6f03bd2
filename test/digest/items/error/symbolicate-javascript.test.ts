import { unzipSync } from "fflate";
import { describe, expect, it } from "vitest";
import { SourceMapCache } from "../../../../queue-consumer/digest/items/error/source-map-cache";
import {
  type SourceFiles,
  type StoredFile,
  MAX_LOCATED_PER_MAP,
  candidateUrls,
  generateModule,
  joinPaths,
  locatedPositions,
  symbolicateJavaScript,
} from "../../../../queue-consumer/digest/items/error/symbolicate-javascript";
import { DEBUG_ID, debugIdBundle, releaseUrlBundle } from "../../../support/artifact-bundles";

const APP = "http://localhost:5000/app.min.js";

/** The files of a bundle, as find-source-files.ts would answer them. */
function filesOf(bundle: Uint8Array, release: string | null = null, dist = ""): SourceFiles & { reads: string[] } {
  const zip = unzipSync(bundle);
  const manifest = JSON.parse(new TextDecoder().decode(zip["manifest.json"])) as {
    files: Record<string, { type: string; url: string; headers?: Record<string, string> }>;
  };
  const stored = Object.entries(manifest.files).map(([path, f]) => ({
    file: { key: path, url: f.url, sourcemap: f.headers?.sourcemap ?? null } as StoredFile,
    type: f.type,
    debugId: f.headers?.["debug-id"] ?? null,
  }));
  const reads: string[] = [];
  return {
    reads,
    async byDebugId(debugId) {
      const of = (type: string) => stored.find((s) => s.debugId === debugId && s.type === type)?.file ?? null;
      return { minified: of("minified_source"), map: of("source_map") };
    },
    async byUrl(r, d, urls) {
      if (r !== release || d !== dist) return null;
      for (const url of urls) {
        const found = stored.find((s) => s.file.url === url);
        if (found !== undefined) return found.file;
      }
      return null;
    },
    async read(file) {
      reads.push(file.key);
      return new TextDecoder().decode(zip[file.key]);
    },
  };
}

/**
 * What @sentry/browser sends for the injected build's error (frames oldest first), at the
 * positions V8 reports running test/fixtures/artifact-bundles' app.min.js.
 */
function browserEvent(overrides: Record<string, unknown> = {}, path = APP) {
  return {
    platform: "javascript",
    exception: {
      values: [
        {
          type: "Error",
          value: "bad config line: broken",
          stacktrace: {
            frames: [
              { filename: path, abs_path: path, function: "?", lineno: 4, colno: 152, in_app: true },
              { filename: path, abs_path: path, function: "i", lineno: 4, colno: 147, in_app: true },
              { filename: path, abs_path: path, function: "e", lineno: 4, colno: 62, in_app: true },
            ],
          },
        },
      ],
    },
    debug_meta: { images: [{ type: "sourcemap", code_file: APP, debug_id: DEBUG_ID }] },
    ...overrides,
  } as Record<string, any>;
}

describe("symbolicateJavaScript", () => {
  it("maps frames by debug id: original file, line, column, function and five lines of context; the minified frames stay as raw_stacktrace", async () => {
    const event = browserEvent();
    const raw = structuredClone(event.exception.values[0].stacktrace.frames);
    expect(await symbolicateJavaScript(event, filesOf(debugIdBundle()), new SourceMapCache())).toBe(true);
    const exception = event.exception.values[0];
    const [outer, middle, top] = exception.stacktrace.frames;
    expect(top).toEqual({
      filename: "../app/src/config.js",
      abs_path: "http://localhost:5000/app/src/config.js",
      module: "app/src/config",
      function: "parseConfig",
      lineno: 6,
      colno: 13,
      in_app: true,
      pre_context: [
        "// Reads the app's settings from a string of key=value lines.",
        "export function parseConfig(text) {",
        '  const entries = text.split("\\n").map((line) => line.split("="));',
        "  for (const [key, value] of entries) {",
        "    if (value === undefined) {",
      ],
      context_line: "      throw new Error(`bad config line: ${key}`);",
      post_context: ["    }", "  }", "  return Object.fromEntries(entries);", "}", ""],
      data: { sourcemap: "http://localhost:5000/app.min.js.map", resolved_with: "debug-id", symbolicated: true },
    });
    expect(middle).toMatchObject({
      filename: "../app/src/main.js",
      function: "startApp",
      lineno: 4,
      context_line: "  const config = parseConfig(source);",
    });
    expect(outer).toMatchObject({ filename: "../app/src/main.js", lineno: 8, context_line: 'startApp("name=demo\\nbroken");' });
    expect(exception.raw_stacktrace).toEqual({ frames: raw });
    expect(event.errors).toBeUndefined();
  });

  it("names an anonymous function after its caller's call site (Sentry's caller naming)", async () => {
    const event = browserEvent();
    // As if the engine had not named `e`: the call site in `i` still names it.
    event.exception.values[0].stacktrace.frames[2].function = "<anonymous>";
    await symbolicateJavaScript(event, filesOf(debugIdBundle()), new SourceMapCache());
    expect(event.exception.values[0].stacktrace.frames[2].function).toBe("parseConfig");
  });

  it("names a frame without a caller after the scope it is in: the minified function's declaration, through the map", async () => {
    const event = browserEvent();
    event.exception.values[0].stacktrace.frames.splice(0, 2);
    await symbolicateJavaScript(event, filesOf(debugIdBundle()), new SourceMapCache());
    expect(event.exception.values[0].stacktrace.frames[0].function).toBe("parseConfig");
  });

  it("maps by release, dist and URL when there is no debug id: ~/dist matches any host", async () => {
    const event = browserEvent({ release: "1.0.0", dist: "web1", debug_meta: undefined }, "https://shop.example.com/dist/app.min.js?v=3");
    // The release build has no debug id snippet: its code starts on line 1, one line up.
    for (const frame of event.exception.values[0].stacktrace.frames) frame.lineno -= 2;
    expect(await symbolicateJavaScript(event, filesOf(releaseUrlBundle(), "1.0.0", "web1"), new SourceMapCache())).toBe(true);
    const top = event.exception.values[0].stacktrace.frames[2];
    expect(top).toMatchObject({
      abs_path: "https://shop.example.com/app/src/config.js",
      function: "parseConfig",
      lineno: 6,
      data: { sourcemap: "https://shop.example.com/dist/app.min.js.map", resolved_with: "release", symbolicated: true },
    });
  });

  it("says why a frame is not mapped: no file for the debug id, not in the release, a line outside the map, an unreadable map", async () => {
    const missing = browserEvent({
      debug_meta: { images: [{ type: "sourcemap", code_file: APP, debug_id: "00000000-0000-4000-8000-000000000001" }] },
    });
    expect(await symbolicateJavaScript(missing, filesOf(debugIdBundle()), new SourceMapCache())).toBe(false);
    expect(missing.errors).toEqual([{ type: "js_no_source", url: APP, debug_id: "00000000-0000-4000-8000-000000000001" }]);
    expect(missing.exception.values[0].raw_stacktrace).toBeUndefined();

    const notInRelease = browserEvent({ release: "2.0.0", debug_meta: undefined });
    await symbolicateJavaScript(notInRelease, filesOf(releaseUrlBundle(), "1.0.0", "web1"), new SourceMapCache());
    expect(notInRelease.errors).toEqual([{ type: "js_no_source", url: APP, release: "2.0.0" }]);

    // Libraries are not expected to have maps (Sentry's should_skip_missing_source_error).
    const library = browserEvent({ release: "2.0.0", debug_meta: undefined }, "http://localhost:5000/node_modules/lib/index.js");
    await symbolicateJavaScript(library, filesOf(releaseUrlBundle(), "1.0.0", "web1"), new SourceMapCache());
    expect(library.errors).toBeUndefined();

    const outside = browserEvent();
    outside.exception.values[0].stacktrace.frames[2].lineno = 400;
    await symbolicateJavaScript(outside, filesOf(debugIdBundle()), new SourceMapCache());
    expect(outside.errors).toEqual([{ type: "js_invalid_sourcemap_location", column: 62, row: 400, source: APP }]);
    expect(outside.exception.values[0].stacktrace.frames[2]).toMatchObject({ function: "e", lineno: 400 });

    const broken = filesOf(debugIdBundle());
    const read = broken.read;
    broken.read = async (file) => (file.key.endsWith(".map") ? '{"version":3,"mappings":12' : read(file));
    const unreadable = browserEvent();
    await symbolicateJavaScript(unreadable, broken, new SourceMapCache());
    expect(unreadable.errors).toEqual([{ type: "js_invalid_source", url: "http://localhost:5000/app.min.js.map" }]);
  });

  it("leaves events alone that are not JavaScript, or whose frames it cannot look up", async () => {
    const python = browserEvent({ platform: "python" });
    expect(await symbolicateJavaScript(python, filesOf(debugIdBundle()), new SourceMapCache())).toBe(false);
    const noLookup = browserEvent({ debug_meta: undefined });
    expect(await symbolicateJavaScript(noLookup, filesOf(debugIdBundle()), new SourceMapCache())).toBe(false);
    expect(noLookup.errors).toBeUndefined();
  });

  it("parses a map once for many events (the isolate's cache)", async () => {
    const cache = new SourceMapCache();
    const files = filesOf(debugIdBundle());
    for (let i = 0; i < 3; i++) await symbolicateJavaScript(browserEvent(), files, cache);
    expect(files.reads.sort()).toEqual(["files/_/_/app.min.js", "files/_/_/app.min.js.map"]);
  });

  it("remembers where a position leads, per map and bounded: a recurring error is mapped the same, its frames not shared", async () => {
    const cache = new SourceMapCache();
    const files = filesOf(debugIdBundle());
    const first = browserEvent();
    await symbolicateJavaScript(first, files, cache);
    const map = await cache.map("files/_/_/app.min.js.map", async () => {
      throw new Error("the map should be cached");
    });
    expect(locatedPositions(map)).toBe(3);
    // A later step changing one event's context must not reach the next event's.
    const frame = first.exception.values[0].stacktrace.frames[2];
    const context = structuredClone(first.exception);
    frame.pre_context.push("changed");
    const again = browserEvent();
    await symbolicateJavaScript(again, files, cache);
    expect(again.exception).toEqual(context);
    expect(locatedPositions(map)).toBe(3);

    const path = APP;
    const many = browserEvent();
    many.exception.values[0].stacktrace.frames = Array.from({ length: MAX_LOCATED_PER_MAP + 10 }, (_, i) => ({
      filename: path,
      abs_path: path,
      function: "e",
      lineno: 4,
      colno: 1000 + i,
      in_app: true,
    }));
    await symbolicateJavaScript(many, files, cache);
    expect(locatedPositions(map)).toBeLessThanOrEqual(MAX_LOCATED_PER_MAP);
  });

  it("keeps the cache under its budget, least recently used out", async () => {
    const cache = new SourceMapCache(3000 * 6);
    const map = (n: number) => JSON.stringify({ version: 3, sources: [`s${n}`], names: [], mappings: "AAAA", pad: "x".repeat(900) });
    for (let n = 0; n < 5; n++) await cache.map(`k${n}`, async () => map(n));
    expect(cache.bytes).toBeLessThanOrEqual(3000 * 6);
    let loaded = 0;
    await cache.map("k4", async () => (loaded++, map(4)));
    await cache.map("k0", async () => (loaded++, map(0)));
    expect(loaded).toBe(1);
  });
});

describe("URLs and paths", () => {
  it("candidate URLs: as sent, without query, and ~/path for any host", () => {
    expect(candidateUrls("https://a.com/dist/app.js?v=1#x")).toEqual([
      "https://a.com/dist/app.js?v=1",
      "https://a.com/dist/app.js",
      "~/dist/app.js?v=1",
      "~/dist/app.js",
    ]);
  });

  it("joins paths like symbolicator: relative to the directory, ~/ and / on the host", () => {
    expect(joinPaths("http://a.com/dist/app.js.map", "../src/x.js")).toBe("http://a.com/src/x.js");
    expect(joinPaths("http://a.com/dist/app.js", "~/maps/app.js.map")).toBe("http://a.com/maps/app.js.map");
    expect(joinPaths("/srv/app/dist/index.js", "../src/main.ts")).toBe("/srv/app/src/main.ts");
    expect(joinPaths("http://a.com/app.js", "webpack://app/./src/x.js")).toBe("webpack://app/./src/x.js");
  });

  it("generates modules from URLs as Sentry does", () => {
    expect(generateModule("http://a.com/js/v1.0/foo/bar/baz.min.js")).toBe("foo/bar/baz");
    expect(generateModule("http://localhost:5000/app/src/config.js")).toBe("app/src/config");
  });
});
