import type { DrizzleD1Database } from "drizzle-orm/d1";
import { sourceMapChunkKey } from "../../../protocol/source-map-chunks";
import { ApiError } from "../api-error";
import { findBundle, insertBundle, linkBundleToProjects, markBundleUsed, projectBundleBytes } from "./artifact-bundle-queries";
import { BUNDLE_LIMITS, BundleError, type BundleLimits, readArtifactBundle } from "./read-artifact-bundle";

/**
 * Sentry's artifact bundle assembly (src/sentry/api/endpoints/organization_artifactbundle_assemble.py,
 * as sentry-cli 3.x drives it in src/utils/file_upload.rs): the client asks to assemble a bundle
 * from the sha1s of its chunks; the answer lists the chunks the server lacks, the client uploads
 * them, and asks again. Here the second ask assembles at once (the chunks are read from R2, the
 * zip is checked and unpacked, each file is stored and indexed) and answers `ok`, or a 400 whose
 * detail sentry-cli prints. Chunks are deleted once their bundle is assembled or refused.
 */
export const CHUNK_UPLOAD_LIMITS = {
  /** Bytes per chunk; sentry-cli splits a bundle into chunks of exactly this size. */
  chunkSize: 8 * 1024 * 1024,
  chunksPerRequest: 4,
  /** A chunk request: chunksPerRequest chunks and the multipart framing. */
  maxRequestSize: 33 * 1024 * 1024,
  /**
   * One bundle. Assembly holds the bundle and a batch of inflated files in memory, within a
   * Pages Function's 128 MB (https://developers.cloudflare.com/workers/platform/limits/#memory).
   */
  maxFileSize: 40 * 1024 * 1024,
  concurrency: 4,
} as const;

/**
 * The bytes of bundles (their files, uncompressed) a project may keep, unless the dashboard's
 * `SOURCE_MAP_BYTES_PER_PROJECT` says otherwise. An upload that would take a project past it is
 * refused; deleting bundles, or retention, makes room.
 */
export const DEFAULT_SOURCE_MAP_BYTES_PER_PROJECT = 1024 * 1024 * 1024;

export type AssembleState = "ok" | "not_found" | "created" | "assembling" | "error";

export interface AssembleAnswer {
  state: AssembleState;
  missingChunks: string[];
  detail: string | null;
}

export interface AssembleRequest {
  organizationId: number;
  checksum: string;
  chunks: readonly string[];
  projectIds: readonly number[];
  release: string | null;
  dist: string | null;
  /** The size limit of each project; `projectSlugs` name them in the refusal. */
  projectQuotaBytes: number;
  projectSlugs: ReadonlyMap<number, string>;
}

export const chunkKey = sourceMapChunkKey;

function fileKey(organizationId: number, checksum: string, index: number): string {
  return `sourcemaps/${organizationId}/bundles/${checksum}/${index}`;
}

export async function assembleArtifactBundle(
  db: DrizzleD1Database,
  bucket: R2Bucket,
  request: AssembleRequest,
  now: number,
  limits: BundleLimits = BUNDLE_LIMITS,
): Promise<AssembleAnswer> {
  // A bundle uploaded before (by this or another project) is not uploaded again.
  const existing = await findBundle(db, request.organizationId, request.checksum);
  if (existing !== null) {
    const overQuota = await quotaRefusal(db, request, existing.size);
    if (overQuota !== null) return overQuota;
    await linkBundleToProjects(db, existing.id, request.projectIds);
    await markBundleUsed(db, existing.id, now);
    return { state: "ok", missingChunks: [], detail: null };
  }
  const chunks = [...new Set(request.chunks)];
  if (request.chunks.length === 0) refuse("chunks: a bundle needs at least one chunk");
  if ((request.chunks.length - 1) * CHUNK_UPLOAD_LIMITS.chunkSize >= CHUNK_UPLOAD_LIMITS.maxFileSize)
    refuse(
      `the bundle is over ${CHUNK_UPLOAD_LIMITS.maxFileSize / 1024 / 1024} MiB, the most one upload may be: upload fewer files at a time`,
    );

  const present = await Promise.all(chunks.map((sha1) => bucket.head(chunkKey(request.organizationId, sha1))));
  const missingChunks = chunks.filter((_, i) => present[i] === null);
  if (missingChunks.length > 0) return { state: "not_found", missingChunks, detail: null };

  try {
    const bytes = await concatChunks(bucket, request);
    if ((await sha1Hex(bytes)) !== request.checksum) refuse("the chunks' sha1 is not the bundle's checksum");
    let bundle;
    try {
      bundle = readArtifactBundle(bytes, limits);
    } catch (err) {
      if (err instanceof BundleError) refuse(`invalid artifact bundle: ${err.message}`);
      throw err;
    }
    const overQuota = await quotaRefusal(
      db,
      request,
      bundle.files.reduce((sum, file) => sum + file.size, 0),
    );
    if (overQuota !== null) {
      await deleteChunks(bucket, request.organizationId, chunks);
      return overQuota;
    }
    const files: Parameters<typeof insertBundle>[1]["files"] = [];
    const indexOf = new Map(bundle.files.map((file, index) => [file, index]));
    let size = 0;
    for (const batch of bundle.readBatches()) {
      await Promise.all(
        batch.map(async ({ file, bytes: content }) => {
          const objectKey = fileKey(request.organizationId, request.checksum, indexOf.get(file)!);
          await bucket.put(objectKey, content);
          files.push({
            fileType: file.type,
            url: file.url,
            debugId: file.debugId,
            sourcemap: file.sourcemap,
            objectKey,
            size: content.byteLength,
          });
          size += content.byteLength;
        }),
      );
    }
    // The request's release and dist are what sentry-cli was given; the manifest says the same.
    const release = request.release ?? bundle.release;
    const dist = request.dist ?? bundle.dist ?? "";
    try {
      await insertBundle(db, {
        organizationId: request.organizationId,
        checksum: request.checksum,
        bundleId: bundle.bundleId,
        release,
        dist,
        size,
        dateAdded: now,
        files,
        projectIds: request.projectIds,
      });
    } catch (err) {
      // Assembled at the same time by another request: its bundle stands.
      const raced = await findBundle(db, request.organizationId, request.checksum);
      if (raced === null) throw err;
      await linkBundleToProjects(db, raced.id, request.projectIds);
    }
    await deleteChunks(bucket, request.organizationId, chunks);
    return { state: "ok", missingChunks: [], detail: null };
  } catch (err) {
    if (err instanceof ApiError && err.status === 400) await deleteChunks(bucket, request.organizationId, chunks);
    throw err;
  }
}

/**
 * An upload that would take a project past its size limit: assembly's `error` state, whose
 * detail sentry-cli prints as "Failed to process uploaded files: <detail>" and exits non-zero
 * (src/utils/file_upload.rs, poll_assemble). Projects that keep the bundle already are not
 * asked again. Two uploads at once may both pass: the limit is on what is kept, not a lock.
 */
async function quotaRefusal(db: DrizzleD1Database, request: AssembleRequest, bundleBytes: number): Promise<AssembleAnswer | null> {
  const kept = await projectBundleBytes(db, request.projectIds, request.checksum);
  for (const [projectId, { otherBytes, hasBundle }] of kept) {
    if (hasBundle || otherBytes + bundleBytes <= request.projectQuotaBytes) continue;
    const slug = request.projectSlugs.get(projectId) ?? String(projectId);
    return {
      state: "error",
      missingChunks: [],
      detail: `project ${slug} would keep ${formatBytes(otherBytes + bundleBytes)} of source maps, over its limit of ${formatBytes(request.projectQuotaBytes)} (it keeps ${formatBytes(otherBytes)}, this upload is ${formatBytes(bundleBytes)}): delete bundles in the project's Source maps settings`,
    };
  }
  return null;
}

function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024 * 1024) return `${(bytes / 1024 / 1024 / 1024).toFixed(2)} GiB`;
  if (bytes >= 1024 * 1024) return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
  if (bytes >= 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${bytes} B`;
}

function refuse(detail: string): never {
  throw new ApiError(400, detail);
}

async function concatChunks(bucket: R2Bucket, request: AssembleRequest): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let total = 0;
  for (const sha1 of request.chunks) {
    const object = await bucket.get(chunkKey(request.organizationId, sha1));
    // Deleted between the check and now: the client uploads it again.
    if (object === null) refuse(`chunk ${sha1} is missing: upload the bundle again`);
    const part = new Uint8Array(await object.arrayBuffer());
    total += part.byteLength;
    if (total > CHUNK_UPLOAD_LIMITS.maxFileSize) refuse(`the bundle is over ${CHUNK_UPLOAD_LIMITS.maxFileSize / 1024 / 1024} MiB`);
    parts.push(part);
  }
  const out = new Uint8Array(total);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.byteLength;
  }
  return out;
}

async function deleteChunks(bucket: R2Bucket, organizationId: number, chunks: readonly string[]): Promise<void> {
  // R2 deletes at most 1,000 keys a call; a bundle has at most maxFileSize / chunkSize chunks.
  await bucket.delete(chunks.map((sha1) => chunkKey(organizationId, sha1)));
}

export async function sha1Hex(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-1", bytes);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}
