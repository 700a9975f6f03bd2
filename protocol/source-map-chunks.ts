/**
 * Where `sentry-cli sourcemaps upload` chunks wait in R2 between their upload and their bundle's
 * assembly (dashboard/api/sourcemaps/): per organization, so one organization's upload can never
 * assemble another's chunks, and under one prefix, so the hourly job
 * (queue-consumer/jobs/enforce-retention.ts) finds the chunks no assembly ever took with one
 * listing, whatever the organization.
 */
export const SOURCE_MAP_CHUNK_PREFIX = "sourcemap-chunks/";

/**
 * A chunk not assembled within a day never will be: sentry-cli asks for its bundle's assembly
 * right after uploading its chunks (src/utils/file_upload.rs).
 */
export const ORPHANED_CHUNK_AGE_MS = 24 * 60 * 60 * 1000;

export function sourceMapChunkKey(organizationId: number, sha1: string): string {
  return `${SOURCE_MAP_CHUNK_PREFIX}${organizationId}/${sha1}`;
}
