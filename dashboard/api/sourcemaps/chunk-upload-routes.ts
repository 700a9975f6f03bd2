import { Hono } from "hono";
import type { ApiEnv } from "../api-env";
import { ApiError, badRequest } from "../api-error";
import { organizationInScope, projectInScope } from "../route-scope";
import { CHUNK_UPLOAD_LIMITS, chunkKey, sha1Hex } from "./assemble-artifact-bundle";

/**
 * Sentry's chunk upload (src/sentry/api/endpoints/chunk.py), the first step of every
 * `sentry-cli sourcemaps upload` (src/api/mod.rs: get_chunk_upload_options, upload_chunks).
 * Chunks are kept in R2 per organization, so one organization's upload can never assemble
 * another's chunks, until their bundle is assembled (assemble-artifact-bundle.ts).
 */
export const chunkUploadRoutes = new Hono<ApiEnv>({ strict: false });

const SHA1 = /^[0-9a-f]{40}$/;

/**
 * The options sentry-cli reads (src/api/data_types/chunking/upload/options.rs). `url` is relative:
 * sentry-cli resolves it against its own server URL. `accept` names what Faultline assembles:
 * artifact bundles, also with a release and dist (the older release files flow).
 */
chunkUploadRoutes.get("/organizations/:org/chunk-upload", async (c) => {
  const org = await organizationInScope(c);
  return c.json({
    url: `/api/0/organizations/${org.slug}/chunk-upload/`,
    chunkSize: CHUNK_UPLOAD_LIMITS.chunkSize,
    chunksPerRequest: CHUNK_UPLOAD_LIMITS.chunksPerRequest,
    maxRequestSize: CHUNK_UPLOAD_LIMITS.maxRequestSize,
    maxFileSize: CHUNK_UPLOAD_LIMITS.maxFileSize,
    concurrency: CHUNK_UPLOAD_LIMITS.concurrency,
    hashAlgorithm: "sha1",
    compression: ["gzip"],
    accept: ["artifact_bundles", "release_files"],
  });
});

/**
 * Chunks as multipart parts, `file` or `file_gzip` (gzip'd), each part's filename its sha1. A
 * part whose bytes do not hash to its name, or too many or too large, refuses the request.
 */
chunkUploadRoutes.post("/organizations/:org/chunk-upload", async (c) => {
  const org = await organizationInScope(c);
  const form = await readForm(c.req.raw);
  const partsNamed = (name: string) => form.getAll(name) as unknown as Array<File | string>;
  const parts = [
    ...partsNamed("file").map((part) => ({ part, gzip: false })),
    ...partsNamed("file_gzip").map((part) => ({ part, gzip: true })),
  ];
  if (parts.length > CHUNK_UPLOAD_LIMITS.chunksPerRequest)
    badRequest(`Too many chunks: at most ${CHUNK_UPLOAD_LIMITS.chunksPerRequest} per request`);
  const chunks: Array<{ sha1: string; bytes: Uint8Array }> = [];
  for (const { part, gzip } of parts) {
    if (typeof part === "string") badRequest("chunks must be files, named by their sha1");
    const sha1 = part.name.toLowerCase();
    if (!SHA1.test(sha1)) badRequest(`chunk name ${JSON.stringify(part.name.slice(0, 100))} is not a sha1`);
    const raw = new Uint8Array(await part.arrayBuffer());
    const bytes = gzip ? await gunzipAtMost(raw, CHUNK_UPLOAD_LIMITS.chunkSize, sha1) : raw;
    if (bytes.byteLength > CHUNK_UPLOAD_LIMITS.chunkSize) badRequest(`chunk ${sha1} is larger than the chunk size`);
    if ((await sha1Hex(bytes)) !== sha1) badRequest(`chunk ${sha1}: checksum mismatch`);
    chunks.push({ sha1, bytes });
  }
  await Promise.all(chunks.map(({ sha1, bytes }) => c.env.RAW.put(chunkKey(org.id, sha1), bytes)));
  return c.body(null, 200);
});

/**
 * `sentry-cli debug-files upload` (native symbols, ProGuard mappings...) reaches the same chunk
 * endpoint, then asks this. Faultline keeps no debug files: a 400 that sentry-cli prints, rather
 * than a 404 it would report as a missing project.
 */
chunkUploadRoutes.post("/projects/:org/:project/files/difs/assemble", async (c) => {
  await projectInScope(c);
  badRequest(
    "Faultline stores JavaScript source maps only (sentry-cli sourcemaps upload); debug information files (dSYM, ELF, PDB, ProGuard) are not supported.",
  );
});

/** The request's multipart form, read within the request size limit. */
async function readForm(request: Request): Promise<FormData> {
  const type = request.headers.get("content-type") ?? "";
  if (!type.toLowerCase().startsWith("multipart/form-data")) badRequest("chunks are sent as multipart/form-data");
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > CHUNK_UPLOAD_LIMITS.maxRequestSize) badRequest(`the request is over ${CHUNK_UPLOAD_LIMITS.maxRequestSize} bytes`);
  const body = await readAtMost(request.body, CHUNK_UPLOAD_LIMITS.maxRequestSize, "the request");
  try {
    return await new Response(body, { headers: { "content-type": type } }).formData();
  } catch {
    return badRequest("the body is not a readable multipart form");
  }
}

async function readAtMost(stream: ReadableStream<Uint8Array> | null, max: number, what: string): Promise<Uint8Array> {
  if (stream === null) return new Uint8Array(0);
  const parts: Uint8Array[] = [];
  let total = 0;
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > max) {
      await reader.cancel();
      badRequest(`${what} is over ${max} bytes`);
    }
    parts.push(value);
  }
  const out = new Uint8Array(total);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.byteLength;
  }
  return out;
}

async function gunzipAtMost(bytes: Uint8Array, max: number, sha1: string): Promise<Uint8Array> {
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
  try {
    return await readAtMost(stream, max, `chunk ${sha1}`);
  } catch (err) {
    if (err instanceof ApiError) throw err;
    return badRequest(`chunk ${sha1} is not valid gzip`);
  }
}
