import { unzipSync, type UnzipFileInfo } from "fflate";
import { z } from "zod";
import { normalizeDebugId } from "../../../protocol/debug-id";

/**
 * Reads an artifact bundle as sentry-cli builds it (symbolic's SourceBundleWriter): the header
 * `SYSB` + version 2, then a zip holding `manifest.json` and the files under `files/`. The
 * manifest lists each file's type (`minified_source`, `source_map`, `source`), URL and headers
 * (`debug-id`, `sourcemap`), plus the bundle's `debug_id`, `release` and `dist`
 * (https://docs.sentry.io/platforms/javascript/sourcemaps/troubleshooting_js/artifact-bundles/).
 *
 * Nothing here trusts the zip: sizes are checked before anything is inflated, and inflating never
 * writes past the size the zip declares (fflate's fixed output buffer), so a zip bomb costs no
 * more memory than its declared sizes, which the limits bound.
 */
const MiB = 1024 * 1024;

export interface BundleLimits {
  /** Largest file, uncompressed: a source map over it is refused (the digest parses maps in memory). */
  maxFileBytes: number;
  /** All files together, uncompressed. */
  maxTotalBytes: number;
  maxFiles: number;
}

export const BUNDLE_LIMITS: BundleLimits = { maxFileBytes: 20 * MiB, maxTotalBytes: 200 * MiB, maxFiles: 5000 };

/** How much a batch of files inflates at once: memory, not the number of passes over the zip. */
const BATCH_BYTES = 16 * MiB;
const MANIFEST_MAX_BYTES = 10 * MiB;

export type BundleFileType = "minified_source" | "source_map" | "source";

export interface BundleFile {
  /** The file's path in the zip (`files/_/_/dist/app.min.js`). */
  path: string;
  type: BundleFileType;
  url: string | null;
  debugId: string | null;
  /** The `sourcemap` header: where the file's map is, relative to the file's URL. */
  sourcemap: string | null;
  size: number;
}

export interface ArtifactBundle {
  bundleId: string | null;
  release: string | null;
  dist: string | null;
  files: BundleFile[];
  /** The files' bytes, a batch at a time, so a large bundle is never inflated whole. */
  readBatches(): Generator<Array<{ file: BundleFile; bytes: Uint8Array }>>;
}

/** Why a bundle was refused; the detail names the file. */
export class BundleError extends Error {
  override name = "BundleError";
}

const manifestSchema = z.object({
  files: z
    .record(
      z.string(),
      z.object({
        type: z.string().optional(),
        url: z.string().max(4096).optional(),
        headers: z.record(z.string(), z.string()).optional(),
      }),
    )
    .default({}),
  debug_id: z.string().optional(),
  release: z.string().max(250).optional(),
  dist: z.string().max(64).optional(),
});

const STORED_TYPES = new Set<string>(["minified_source", "source_map", "source"]);

export function readArtifactBundle(bundleBytes: Uint8Array, limits: BundleLimits = BUNDLE_LIMITS): ArtifactBundle {
  checkHeader(bundleBytes);
  const bytes = zipOf(bundleBytes);
  const entries = new Map<string, UnzipFileInfo>();
  listZip(bytes, (info) => {
    entries.set(info.name, info);
    return false;
  });
  if (entries.size > limits.maxFiles + 1) throw new BundleError(`the bundle holds ${entries.size} files, more than ${limits.maxFiles}`);
  let total = 0;
  for (const info of entries.values()) {
    if (!safePath(info.name)) throw new BundleError(`${printable(info.name)}: a path outside the bundle`);
    if (info.compression !== 0 && info.compression !== 8)
      throw new BundleError(`${printable(info.name)}: compression method ${info.compression} is not supported`);
    total += info.originalSize;
  }
  if (total > limits.maxTotalBytes)
    throw new BundleError(`the bundle's files add up to ${mib(total)} uncompressed, more than ${mib(limits.maxTotalBytes)}`);

  const manifestInfo = entries.get("manifest.json");
  if (manifestInfo === undefined) throw new BundleError("the bundle has no manifest.json");
  if (manifestInfo.originalSize > MANIFEST_MAX_BYTES) throw new BundleError(`manifest.json is over ${mib(MANIFEST_MAX_BYTES)}`);
  const manifest = parseManifest(inflate(bytes, new Set(["manifest.json"])).get("manifest.json")!);

  const files: BundleFile[] = [];
  for (const [path, entry] of Object.entries(manifest.files)) {
    const info = entries.get(path);
    if (info === undefined) throw new BundleError(`manifest.json lists ${printable(path)}, which the bundle does not hold`);
    if (entry.type === undefined || !STORED_TYPES.has(entry.type)) continue;
    if (info.originalSize > limits.maxFileBytes)
      throw new BundleError(
        `${printable(path)} is ${mib(info.originalSize)} uncompressed, more than the ${mib(limits.maxFileBytes)} a file may be`,
      );
    const headers = lowercaseKeys(entry.headers ?? {});
    files.push({
      path,
      type: entry.type as BundleFileType,
      url: entry.url ?? null,
      debugId: normalizeDebugId(headers["debug-id"]),
      sourcemap: headers.sourcemap ?? headers["x-sourcemap"] ?? null,
      size: info.originalSize,
    });
  }

  return {
    bundleId: normalizeDebugId(manifest.debug_id),
    release: blankToNull(manifest.release),
    dist: blankToNull(manifest.dist),
    files,
    *readBatches() {
      let batch: BundleFile[] = [];
      let size = 0;
      const flush = () => {
        const inflated = inflate(bytes, new Set(batch.map((f) => f.path)));
        const out = batch.map((file) => ({ file, bytes: inflated.get(file.path)! }));
        batch = [];
        size = 0;
        return out;
      };
      for (const file of files) {
        if (batch.length > 0 && size + file.size > BATCH_BYTES) yield flush();
        batch.push(file);
        size += file.size;
      }
      if (batch.length > 0) yield flush();
    },
  };
}

function checkHeader(bytes: Uint8Array): void {
  const magic = String.fromCharCode(...bytes.subarray(0, 4));
  if (magic === "SYSB") {
    const version = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(4, true);
    if (bytes.byteLength < 8 || version > 2) throw new BundleError(`source bundle version ${version} is not supported`);
    return;
  }
  if (magic !== "PK\x03\x04") throw new BundleError("not an artifact bundle (neither a source bundle nor a zip)");
}

const CENTRAL_HEADER = 0x02014b50;
const END_OF_CENTRAL_DIRECTORY = 0x06054b50;

/**
 * The zip inside a source bundle. sentry-cli's zip writer counts its offsets from the start of
 * the file, header included; a zip written on its own and prefixed counts from its own start.
 * Whichever offset finds the central directory tells which.
 */
function zipOf(bytes: Uint8Array): Uint8Array {
  if (bytes[0] !== 0x53 /* S of SYSB */) return bytes;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let end = bytes.byteLength - 22; end >= Math.max(8, bytes.byteLength - 65_557); end--) {
    if (view.getUint32(end, true) !== END_OF_CENTRAL_DIRECTORY) continue;
    const offset = view.getUint32(end + 16, true);
    if (offset + 4 <= bytes.byteLength && view.getUint32(offset, true) === CENTRAL_HEADER) return bytes;
    if (offset + 12 <= bytes.byteLength && view.getUint32(offset + 8, true) === CENTRAL_HEADER) return bytes.subarray(8);
    break;
  }
  return bytes;
}

/** Walks the zip's central directory; the filter says which entries to inflate. */
function listZip(bytes: Uint8Array, filter: (info: UnzipFileInfo) => boolean): Record<string, Uint8Array> {
  try {
    return unzipSync(bytes, { filter });
  } catch (err) {
    if (err instanceof BundleError) throw err;
    throw new BundleError(`not a readable zip: ${err instanceof Error ? err.message : String(err)}`);
  }
}

function inflate(bytes: Uint8Array, paths: ReadonlySet<string>): Map<string, Uint8Array> {
  return new Map(Object.entries(listZip(bytes, (info) => paths.has(info.name))));
}

function parseManifest(bytes: Uint8Array): z.output<typeof manifestSchema> {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw new BundleError("manifest.json is not JSON");
  }
  const parsed = manifestSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new BundleError(`manifest.json: ${issue?.path.map(String).join(".") ?? ""}: ${issue?.message ?? "invalid"}`);
  }
  return parsed.data;
}

/**
 * A path inside the bundle: no `..` or `.` segment, not absolute, no backslash or NUL. Files are
 * stored under keys of our own, so this protects whoever unpacks a bundle elsewhere, and keeps
 * names honest.
 */
function safePath(path: string): boolean {
  if (path === "" || path.length > 4096 || path.startsWith("/") || /[\\\0]/.test(path) || /^[a-zA-Z]:/.test(path)) return false;
  return path.split("/").every((segment) => segment !== ".." && segment !== ".");
}

function lowercaseKeys(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
}

function blankToNull(value: string | undefined): string | null {
  const trimmed = value?.trim();
  return trimmed === undefined || trimmed === "" ? null : trimmed;
}

function printable(path: string): string {
  return JSON.stringify(path.length > 200 ? `${path.slice(0, 200)}…` : path);
}

function mib(bytes: number): string {
  return `${(bytes / MiB).toFixed(1)} MiB`;
}
