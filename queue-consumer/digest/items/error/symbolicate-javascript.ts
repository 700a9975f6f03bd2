import { originalPositionFor } from "@jridgewell/trace-mapping";
import { normalizeDebugId } from "../../../../protocol/debug-id";
import { asNumber, asRecord, asString, isRecord, valuesOf, type JsonRecord } from "../../untrusted-json";
import { declarationBefore, minifiedFunctionName } from "./minified-functions";
import { type ParsedMap, type ParsedMinified, type SourceMapCache, sourceMapCache } from "./source-map-cache";

/**
 * Source maps for JavaScript frames, as Sentry's JavaScript processing does
 * (https://docs.sentry.io/platforms/javascript/sourcemaps/; symbolicator's symbolicator-js):
 * a frame's file is found by the event's `debug_meta.images` (`type: "sourcemap"`, `code_file`,
 * `debug_id`) first, else by the event's release and dist and the frame's URL (`~/path` matching
 * any host). Its line and column become the original file, line, column and function, with five
 * lines of context; the minified frames are kept as the stack trace's `raw_stacktrace`. What
 * cannot be mapped is said in the event's `errors`, with Sentry's error types.
 */

/** A file an upload stored: its R2 key, manifest URL and `sourcemap` header. */
export interface StoredFile {
  key: string;
  url: string | null;
  sourcemap: string | null;
}

/** Where symbolication finds uploaded files; find-source-files.ts reads them from D1 and R2. */
export interface SourceFiles {
  byDebugId(debugId: string): Promise<{ minified: StoredFile | null; map: StoredFile | null }>;
  /** The newest file of the release's bundles whose URL is the first of `urls` found. */
  byUrl(release: string, dist: string, urls: readonly string[]): Promise<StoredFile | null>;
  read(file: StoredFile): Promise<string>;
}

type Module =
  | { kind: "mapped"; map: ParsedMap; minified: ParsedMinified | null; label: string; base: string; resolvedWith: "debug-id" | "release" }
  | { kind: "none" }
  | { kind: "error"; error: JsonRecord };

const CONTEXT_LINES = 5;
/** Sentry's names that say nothing about a function; a better one is looked for. */
const USELESS_FUNCTION_NAMES = new Set(["<anonymous>", "__webpack_require__", "__webpack_modules__"]);
const MAX_ERRORS = 20;

/** Maps the event's JavaScript frames in place; answers whether any frame changed. */
export async function symbolicateJavaScript(
  data: JsonRecord,
  files: SourceFiles,
  cache: SourceMapCache = sourceMapCache,
): Promise<boolean> {
  const platform = asString(data.platform);
  if (platform !== "javascript" && platform !== "node") return false;
  const images = sourcemapImages(data.debug_meta);
  const release = asString(data.release) ?? null;
  const dist = asString(data.dist) ?? "";
  const modules = new Map<string, Promise<Module>>();
  const errors = new Map<string, JsonRecord>();
  const addError = (error: JsonRecord) => errors.set(JSON.stringify(error), error);
  let changed = false;

  for (const container of stackContainers(data)) {
    const stacktrace = asRecord(container.stacktrace);
    const frames = Array.isArray(stacktrace?.frames) ? (stacktrace.frames as unknown[]) : [];
    // Frames are replaced, never changed in place: a shallow copy keeps the minified ones.
    const raw = frames.map((frame) => (isRecord(frame) ? { ...frame } : frame));
    let callsiteName: string | null = null;
    let containerChanged = false;
    // Oldest frame first: a caller's call site names the function it calls (Sentry's "caller naming").
    for (const [i, value] of frames.entries()) {
      const frame = asRecord(value);
      const absPath = frame === undefined ? undefined : handledPath(frame, platform);
      if (frame === undefined || absPath === undefined) {
        callsiteName = null;
        continue;
      }
      let module = modules.get(absPath);
      if (module === undefined) {
        module = resolveModule(absPath, images.get(absPath) ?? null, release, dist, files, cache);
        modules.set(absPath, module);
      }
      const resolved = await module;
      if (resolved.kind !== "mapped") {
        if (resolved.kind === "error" && !(resolved.error.type === "js_no_source" && thirdParty(absPath))) addError(resolved.error);
        callsiteName = null;
        continue;
      }
      const mapped = mapFrame(frame, absPath, resolved, callsiteName, addError);
      callsiteName = mapped?.tokenName ?? null;
      if (mapped === null) continue;
      frames[i] = mapped.frame;
      containerChanged = true;
    }
    if (containerChanged) {
      changed = true;
      // The top-level stack trace has no container to keep its raw frames in (as in Sentry).
      if (container !== data) container.raw_stacktrace = { ...stacktrace, frames: raw };
    }
  }
  if (errors.size > 0) {
    const existing = Array.isArray(data.errors) ? data.errors : [];
    data.errors = [...existing, ...[...errors.values()].slice(0, MAX_ERRORS)];
  }
  return changed;
}

/** Exceptions, threads and the legacy top-level stack trace: each holder of a `stacktrace`. */
function stackContainers(data: JsonRecord): JsonRecord[] {
  const out = [...valuesOf(data.exception), ...valuesOf(data.threads)].filter((c) => isRecord(c.stacktrace));
  if (isRecord(data.stacktrace)) out.push(data);
  return out;
}

/** `code_file` → debug id of the event's source map images. */
function sourcemapImages(debugMeta: unknown): Map<string, string> {
  const out = new Map<string, string>();
  for (const image of valuesOf(asRecord(debugMeta)?.images)) {
    if (image.type !== "sourcemap") continue;
    const codeFile = asString(image.code_file);
    const debugId = normalizeDebugId(image.debug_id);
    if (codeFile !== undefined && debugId !== null) out.set(codeFile, debugId);
  }
  return out;
}

/** Sentry does not report missing sources for libraries and browser extensions: few upload theirs. */
function thirdParty(absPath: string): boolean {
  return absPath.includes("node_modules") || absPath.startsWith("chrome-extension:");
}

/** Paths of Node's own modules (`node:fs`, `internal/...`) have no map; files and app URLs do. */
const NODE_FILE = /^(?:\/|[a-zA-Z]:\\|file:|app:)/;

/** The frame's path when Sentry would process it: a path, a line, not native, not a Node built-in. */
function handledPath(frame: JsonRecord, platform: string): string | undefined {
  const framePlatform = asString(frame.platform) ?? platform;
  if (framePlatform !== "javascript" && framePlatform !== "node") return undefined;
  // Old SDKs prefixed async frames' paths.
  const absPath = asString(frame.abs_path)?.replace(/^async /, "");
  const lineno = asNumber(frame.lineno);
  if (absPath === undefined || lineno === undefined || lineno < 1) return undefined;
  if (absPath === "native" || absPath === "[native code]") return undefined;
  if (platform === "node" && !NODE_FILE.test(absPath)) return undefined;
  return absPath;
}

async function resolveModule(
  absPath: string,
  debugId: string | null,
  release: string | null,
  dist: string,
  files: SourceFiles,
  cache: SourceMapCache,
): Promise<Module> {
  let label = absPath;
  try {
    if (debugId !== null) {
      const found = await files.byDebugId(debugId);
      // Sentry's js_no_source, with what was looked for.
      if (found.map === null) return { kind: "error", error: { type: "js_no_source", url: absPath, debug_id: debugId } };
      const minified = found.minified === null ? null : await cache.minified(found.minified.key, () => files.read(found.minified!));
      const reference = found.minified?.sourcemap ?? (minified === null ? null : sourceMappingUrl(minified.text));
      label = reference === null || reference.startsWith("data:") ? absPath : joinPaths(absPath, reference);
      const map = await cache.map(found.map.key, () => files.read(found.map!));
      return { kind: "mapped", map, minified, label, base: label, resolvedWith: "debug-id" };
    }
    if (release === null) return { kind: "none" };
    const minifiedFile = await files.byUrl(release, dist, candidateUrls(absPath));
    if (minifiedFile === null) return { kind: "error", error: { type: "js_no_source", url: absPath, release, ...(dist ? { dist } : {}) } };
    const minified = await cache.minified(minifiedFile.key, () => files.read(minifiedFile));
    const reference = minifiedFile.sourcemap ?? sourceMappingUrl(minified.text);
    // A file without a map is an original file already.
    if (reference === null) return { kind: "none" };
    if (reference.startsWith("data:")) {
      const map = await cache.map(`${minifiedFile.key}#inline`, async () => decodeDataUrl(reference));
      return { kind: "mapped", map, minified, label: absPath, base: absPath, resolvedWith: "release" };
    }
    label = joinPaths(absPath, reference);
    const mapFile = await files.byUrl(release, dist, candidateUrls(label));
    if (mapFile === null) return { kind: "error", error: { type: "js_no_source", url: label, release, ...(dist ? { dist } : {}) } };
    const map = await cache.map(mapFile.key, () => files.read(mapFile));
    return { kind: "mapped", map, minified, label, base: label, resolvedWith: "release" };
  } catch (err) {
    if (err instanceof SyntaxError || err instanceof TypeError || err instanceof RangeError)
      return { kind: "error", error: { type: "js_invalid_source", url: label } };
    // R2 or D1 failing: this event stays minified, and says so.
    console.error("digest: could not read a source map", absPath, err);
    return { kind: "error", error: { type: "js_generic_fetch_error", url: label } };
  }
}

/**
 * Where a minified position leads in a map: everything of a mapped frame that depends only on
 * the map, its base path, the position and the minified function name.
 */
interface Located {
  originalPath: string;
  filename: string;
  module: string | undefined;
  lineno: number;
  colno: number;
  /** The name at the position (it names the function the next frame is in), and of the enclosing function. */
  tokenName: string | null;
  scopeName: string | null;
  context: { pre: string[]; line: string; post: string[] } | null;
  /** Whether the map holds the source's content (else js_missing_sources_content). */
  hasSource: boolean;
}

/**
 * Located positions per parsed map. An error recurs with the same frames, so a repeat costs a
 * lookup instead of two searches in the map, path joins and context slicing. Bounded per map
 * (its entries hold a few short strings each); emptied when full. It goes with its map when the
 * map leaves the isolate's cache.
 */
const locatedByMap = new WeakMap<ParsedMap, Map<string, Located | null>>();
export const MAX_LOCATED_PER_MAP = 4096;

/** How many positions of `map` are remembered (for tests). */
export function locatedPositions(map: ParsedMap): number {
  return locatedByMap.get(map)?.size ?? 0;
}

function locate(
  line: number,
  column: number,
  rawFunction: string | undefined,
  module: Extract<Module, { kind: "mapped" }>,
): Located | null {
  let located = locatedByMap.get(module.map);
  if (located === undefined) {
    located = new Map();
    locatedByMap.set(module.map, located);
  }
  // The function's length first: a name with a colon cannot pass for another name and base.
  const fn = rawFunction ?? "";
  const key = `${line}:${column}:${fn.length}:${fn}${module.base}`;
  const hit = located.get(key);
  if (hit !== undefined) return hit;
  const found = locateUncached(line, column, rawFunction, module);
  if (located.size >= MAX_LOCATED_PER_MAP) located.clear();
  located.set(key, found);
  return found;
}

function locateUncached(
  line: number,
  column: number,
  rawFunction: string | undefined,
  module: Extract<Module, { kind: "mapped" }>,
): Located | null {
  let position;
  try {
    position = originalPositionFor(module.map.map, { line, column: Math.max(0, column - 1) });
  } catch {
    return null;
  }
  if (position.source === null || position.line === null || position.column === null) return null;
  const lines = module.map.lines(position.source);
  const filename = position.source;
  const originalPath = joinPaths(module.base, filename);
  const shownFilename = filename.startsWith("webpack:") ? webpackFilename(filename) : filename;
  const index = position.line - 1;
  return {
    originalPath,
    filename: shownFilename,
    module: filename.startsWith("webpack:")
      ? generateModule(shownFilename)
      : APP_URL.test(originalPath)
        ? generateModule(originalPath)
        : undefined,
    lineno: position.line,
    colno: position.column + 1,
    tokenName: position.name ?? identifierAt(lines, position.line, position.column),
    scopeName: enclosingFunctionName(rawFunction, line, column, module),
    context:
      lines === null || index >= lines.length
        ? null
        : {
            pre: lines.slice(Math.max(0, index - CONTEXT_LINES), index).map((l) => trimLine(l, 0)),
            line: trimLine(lines[index]!, position.column),
            post: lines.slice(index + 1, index + 1 + CONTEXT_LINES).map((l) => trimLine(l, 0)),
          },
    hasSource: lines !== null,
  };
}

function mapFrame(
  frame: JsonRecord,
  absPath: string,
  module: Extract<Module, { kind: "mapped" }>,
  callsiteName: string | null,
  addError: (error: JsonRecord) => void,
): { frame: JsonRecord; tokenName: string | null } | null {
  const line = asNumber(frame.lineno)!;
  const column = Math.max(0, asNumber(frame.colno) ?? 0);
  const rawFunction = asString(frame.function);
  const at = locate(line, column, rawFunction, module);
  if (at === null) {
    addError({ type: "js_invalid_sourcemap_location", column, row: line, source: absPath });
    return null;
  }
  let fn: string | undefined = at.scopeName ?? undefined;
  if (fn === undefined || USELESS_FUNCTION_NAMES.has(fn)) fn = callsiteName ?? rawFunction ?? fn;

  // What the map replaces is left out of the copy (deleting keys would slow every later read).
  const { module: _module, function: _function, pre_context: _pre, context_line: _line, post_context: _post, ...kept } = frame;
  const out: JsonRecord = { ...kept, abs_path: at.originalPath, filename: at.filename };
  if (at.module !== undefined) out.module = at.module;
  if (fn !== undefined) out.function = fn;
  out.lineno = at.lineno;
  out.colno = at.colno;
  if (!at.hasSource) addError({ type: "js_missing_sources_content", source: at.originalPath, sourcemap: module.label });
  else if (at.context !== null) {
    // Copies: the located context is shared by every frame at this position.
    out.pre_context = [...at.context.pre];
    out.context_line = at.context.line;
    out.post_context = [...at.context.post];
  }
  if (at.originalPath.includes("/node_modules/") || at.filename.includes("/node_modules/")) out.in_app = false;
  out.data = { ...asRecord(frame.data), sourcemap: module.label, resolved_with: module.resolvedWith, symbolicated: true };
  return { frame: out, tokenName: at.tokenName };
}

/** The original name of the function the minified frame is in: its declaration, through the map. */
function enclosingFunctionName(
  rawFunction: string | undefined,
  line: number,
  column: number,
  module: Extract<Module, { kind: "mapped" }>,
): string | null {
  const name = minifiedFunctionName(rawFunction);
  if (name === null || module.minified === null) return null;
  const declaration = declarationBefore(module.minified.index(), name, line, column);
  if (declaration === null) return null;
  const original = originalPositionFor(module.map.map, { line: declaration.line, column: declaration.column });
  if (original.source === null || original.line === null) return null;
  return original.name ?? identifierAt(module.map.lines(original.source), original.line, original.column);
}

function identifierAt(lines: string[] | null, line: number, column: number): string | null {
  const text = lines?.[line - 1];
  if (text === undefined) return null;
  const match = /^[A-Za-z_$][\w$]*/.exec(text.slice(column));
  return match === null || KEYWORDS.has(match[0]) ? null : match[0];
}

const APP_URL = /^(?:https?|webpack|app):/;
const KEYWORDS = new Set(["new", "throw", "return", "await", "typeof", "void", "delete", "yield", "function", "class", "this", "super"]);

/** Sentry trims source lines longer than this around the column, marking the cut with {snip}. */
const MAX_LINE = 150;
const LINE_WINDOW = 140;

function trimLine(text: string, column: number): string {
  if (text.length <= MAX_LINE) return text;
  const start = Math.min(Math.max(0, column - LINE_WINDOW / 2), text.length - LINE_WINDOW);
  const end = start + LINE_WINDOW;
  return `${start > 0 ? "{snip} " : ""}${text.slice(start, end)}${end < text.length ? " {snip}" : ""}`;
}

/** The `sourceMappingURL` comment of a minified file (the last one counts). */
export function sourceMappingUrl(text: string): string | null {
  const tail = text.slice(-16_384);
  let found: string | null = null;
  for (const match of tail.matchAll(/\/\/[#@]\s*sourceMappingURL=\s*(\S+)/g)) found = match[1]!;
  return found;
}

function decodeDataUrl(url: string): string {
  const comma = url.indexOf(",");
  const meta = url.slice(0, comma);
  const payload = url.slice(comma + 1);
  if (!meta.endsWith(";base64")) return decodeURIComponent(payload);
  return new TextDecoder().decode(Uint8Array.from(atob(payload), (c) => c.charCodeAt(0)));
}

/**
 * The URLs an upload may have named a file by (symbolicator-js's get_release_file_candidate_urls):
 * the URL without its fragment, without its query, and both as `~/path`, which matches any host.
 */
export function candidateUrls(url: string): string[] {
  const withoutFragment = url.split("#")[0]!;
  const relative = stripHostname(withoutFragment);
  const out = [withoutFragment, withoutFragment.split("?")[0]!, `~${relative}`, `~${relative.split("?")[0]}`];
  return [...new Set(out)];
}

/** The path after the host (`https://a.com/x.js` → `/x.js`), or after a leading `~`. */
function stripHostname(path: string): string {
  if (path.startsWith("~")) return path.slice(1);
  const scheme = path.indexOf("://");
  if (scheme === -1) return path;
  const slash = path.indexOf("/", scheme + 3);
  return slash === -1 ? "" : path.slice(slash);
}

/**
 * A path relative to a URL or file (symbolicator-js's join_paths): absolute URLs and webpack
 * paths stand alone, `~/x` and `/x` are on the base's host, others relative to its directory.
 */
export function joinPaths(base: string, right: string): string {
  if (right.includes("://") || right.startsWith("webpack:")) return right;
  const schemeAt = base.indexOf("://");
  const scheme = schemeAt === -1 ? "file" : base.slice(0, schemeAt);
  const rest = schemeAt === -1 ? base : base.slice(schemeAt + 3);
  const target = right.startsWith("~") ? right.slice(1) : right;
  if (target.startsWith("/")) {
    if (scheme === "file") return target;
    if (target.startsWith("//")) return `${scheme}:${target}`;
    return `${scheme}://${rest.split("/")[0]}${target}`;
  }
  const left = rest.split("/");
  let prefix = "";
  if (scheme !== "file") prefix = `${scheme}://${left.shift()}`;
  else if (left[0] === "") left.shift();
  left.pop();
  const isHttp = scheme === "http" || scheme === "https";
  const segments = [...left];
  let first = true;
  for (const segment of target.split("/")) {
    if (segment === ".." && (segments.length > 0 || isHttp)) {
      segments.pop();
      continue;
    }
    if (segment === "." && (isHttp || first)) continue;
    first = false;
    segments.push(segment);
  }
  return `${prefix}${segments
    .filter((s) => s !== "")
    .map((s) => `/${s}`)
    .join("")}`;
}

function webpackFilename(filename: string): string {
  const tilde = filename.indexOf("/~/");
  if (tilde !== -1) return `~/${filename.slice(tilde + 3)}`;
  const namespaced = /^webpack(?:-internal)?:\/\/[a-zA-Z0-9_\-@.]+\/\.\//.exec(filename);
  if (namespaced !== null) return `./${filename.slice(namespaced[0].length)}`;
  return filename.replace(/^webpack(?:-internal)?:\/\/\//, "");
}

const CLEAN_MODULE =
  /^(?:\/|(?:(?:java)?scripts?|js|build|static|node_modules|bower_components|[_.~].*?|v?(?:\d+\.)*\d+|[a-f0-9]{7,8}|[a-f0-9]{32}|[a-f0-9]{40})\/)+|(?:[-.][a-f0-9]{7,}$)/gi;

/**
 * A module name made from a URL (symbolicator-js's generate_module): the path without host,
 * query, extension, `.min`, and the folders every build has (`js/`, `static/`, versions,
 * hashes): `https://a.com/js/v1.0/foo/bar.min.js` → `foo/bar`.
 */
export function generateModule(absPath: string): string {
  let path = stripHostname(absPath).split(/[#?]/)[0]!;
  const dot = path.lastIndexOf(".");
  if (dot > path.lastIndexOf("/")) path = path.slice(0, dot);
  if (path.endsWith(".min")) path = path.slice(0, -4);
  const segments = path.split("/");
  const hashAt = segments.findIndex((s) => s.length === 32 || (s.length === 40 && /^[0-9a-f]+$/i.test(s)));
  if (hashAt !== -1) return segments.slice(hashAt + 1).join("/");
  return path.replace(CLEAN_MODULE, "");
}
