import { asString, type JsonRecord } from "../../untrusted-json";

/**
 * What one stack frame contributes to an issue's fingerprint, after Sentry's newstyle frame
 * rules (https://docs.sentry.io/concepts/data-management/event-grouping/#grouping-by-stack-trace):
 * the module, or else the file's base name; the function; the source line on the platforms
 * whose context lines Sentry trusts. Never line or column numbers, which move with every edit.
 */
export interface FrameComponent {
  module?: string;
  filename?: string;
  function?: string;
  context_line?: string;
}

/** Platforms whose context lines take part in grouping, as in Sentry's grouping configuration. */
const CONTEXT_LINE_PLATFORMS = new Set(["javascript", "node", "python", "php", "ruby"]);
/** Sentry ignores a context line longer than this (minified code). */
const MAX_CONTEXT_LINE = 120;

const JS_PLATFORMS = new Set(["javascript", "node"]);
const NATIVE_PLATFORMS = new Set(["native", "c", "cocoa", "objc"]);
const JS_UNKNOWN_FUNCTIONS = new Set(["?", "<anonymous>", "<anonymous function>", "Anonymous function"]);
const JS_LOW_QUALITY_PATHS = new Set(["[native code]", "native code", "eval code", "<anonymous>"]);

export function fingerprintFrame(frame: JsonRecord, eventPlatform: string): FrameComponent | null {
  const platform = asString(frame.platform) ?? eventPlatform;
  const isJs = JS_PLATFORMS.has(platform);
  const absPath = asString(frame.abs_path);
  const rawFunction = asString(frame.function) ?? asString(frame.raw_function);

  // Engine-internal JavaScript frames differ between browsers and runs; Sentry skips them.
  if (isJs && (rawFunction === "eval" || (absPath !== undefined && JS_LOW_QUALITY_PATHS.has(absPath)))) return null;

  const out: FrameComponent = {};
  const module = groupingModule(asString(frame.module), absPath, platform);
  if (module !== undefined) out.module = module;
  else {
    const filename = groupingFilename(asString(frame.filename) ?? absPath);
    if (filename !== undefined) out.filename = filename;
  }
  const fn = groupingFunction(rawFunction, platform);
  if (fn !== undefined) out.function = fn;
  const line = groupingContextLine(frame, platform, rawFunction, absPath);
  if (line !== undefined) out.context_line = line;
  return Object.keys(out).length > 0 ? out : null;
}

function groupingModule(module: string | undefined, absPath: string | undefined, platform: string): string | undefined {
  if (module === undefined) return undefined;
  // A JavaScript "module" that is just the file path is no better than the file name.
  if (JS_PLATFORMS.has(platform) && module.includes("/") && absPath?.endsWith(module)) return undefined;
  if (platform === "java") {
    if (module.includes("$$Lambda$")) return undefined;
    return module
      .replace(/(\.Generated(?:Serialization)?(?:Constructor|Method)Accessor)\d+/, "$1")
      .replace(/(\$\$[\w]+?CGLIB\$\$)[a-fA-F0-9]+(?:_\d+)?/, "$1<auto>")
      .replace(/(\$\$_javassist)(?:_seam)?(?:_\d+)?/, "$1<auto>")
      .replace(/(\$fn__)\d+/, "$1<auto>");
  }
  return module;
}

/**
 * The file's base name, lowercased as Sentry does, without the parts a build changes on every
 * deploy: content hashes ("app.3f9a1c.js", "index-BVcRmPz4.js"), version numbers
 * ("vendor-1.2.3.js") and ".min". Query strings and fragments of URLs are dropped.
 */
export function groupingFilename(path: string | undefined): string | undefined {
  if (path === undefined) return undefined;
  if (path === "<anonymous>" || path === "[native code]") return undefined;
  const withoutQuery = path.replace(/[?#].*$/, "");
  const base = withoutQuery.split(/[/\\]/).pop() ?? "";
  if (base === "") return undefined;
  const dot = base.lastIndexOf(".");
  const extension = dot > 0 ? base.slice(dot) : "";
  const stem = (dot > 0 ? base.slice(0, dot) : base)
    // Versions: "vendor-1.2.3", "lib@2.0", "sdk.v2".
    .replace(/[-@.]v?\d+(?:\.\d+)+(?=$|[-.@])/g, "")
    .replace(/[-@.]v\d+(?=$|[-.@])/g, "")
    .split(/(?=[.\-@~])/)
    .filter((part, index) => index === 0 || !isBuildNoise(part.slice(1)))
    .join("");
  return (stem + extension).toLowerCase();
}

function isBuildNoise(part: string): boolean {
  if (part === "min") return true;
  // Hex content hashes and cache-busting numbers: 6+ hex digits with at least one digit.
  if (/^(?=.*\d)[0-9a-f]{6,}$/i.test(part)) return true;
  // Base64-ish content hashes (Vite, esbuild): 8+ letters and digits, mixing both.
  return /^(?=.*\d)(?=.*[a-zA-Z])[a-zA-Z0-9]{8,}$/.test(part);
}

function groupingFunction(fn: string | undefined, platform: string): string | undefined {
  if (fn === undefined) return undefined;
  // V8 adds the name a method was called by: "Function.executeUserEntryPoint [as runMain]".
  let name = fn.replace(/ \[as [^\]]*\]$/, "").trim();
  if (JS_PLATFORMS.has(platform)) {
    // "Object.foo" and "Foo.foo" are the same function in different browsers.
    name = name.slice(name.lastIndexOf(".") + 1);
    if (name === "" || JS_UNKNOWN_FUNCTIONS.has(name) || fn.endsWith("/<") || JS_UNKNOWN_FUNCTIONS.has(fn)) return undefined;
    return name;
  }
  if (platform === "java" && name.startsWith("lambda$")) return undefined;
  if (platform === "ruby") return name.startsWith("block ") ? "block" : name.replace(/__\d{4,}_\d{4,}$/, "");
  if (platform === "php" && (name.startsWith("[Anonymous") || name.startsWith("class@anonymous"))) return undefined;
  if (NATIVE_PLATFORMS.has(platform) && (name === "<redacted>" || name === "<unknown>")) return undefined;
  return name === "" ? undefined : name;
}

function groupingContextLine(frame: JsonRecord, platform: string, fn: string | undefined, absPath: string | undefined): string | undefined {
  if (!CONTEXT_LINE_PLATFORMS.has(platform)) return undefined;
  const raw = frame.context_line;
  if (typeof raw !== "string" || raw.length > MAX_CONTEXT_LINE) return undefined;
  const line = raw.replaceAll("\t", "  ").trim().split(/\s+/).join(" ");
  if (line === "") return undefined;
  // Without a function name, a line fetched from a URL may be a different build's source.
  if (JS_PLATFORMS.has(platform) && fn === undefined && absPath !== undefined && /^https?:\/\//.test(absPath)) return undefined;
  return line;
}
