import { and, desc, eq, inArray } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { artifactBundleFiles, artifactBundleProjects, artifactBundles, projects } from "../../../../db/schema";
import type { SourceFiles, StoredFile } from "./symbolicate-javascript";

/**
 * The files sentry-cli uploaded (dashboard/api/sourcemaps/), as symbolication looks them up:
 * D1's index, R2's bytes. One lookup per project for the batch: a project without bundles costs
 * one query per batch and nothing per event; answers are remembered for the batch, so a
 * hundred events of one build ask D1 once per file.
 */
export function sourceFilesOfBatch(d1: D1Database, bucket: R2Bucket): (projectId: number) => Promise<SourceFiles | null> {
  const byProject = new Map<number, Promise<SourceFiles | null>>();
  return (projectId) => {
    let files = byProject.get(projectId);
    if (files === undefined) {
      files = projectSourceFiles(d1, bucket, projectId);
      byProject.set(projectId, files);
    }
    return files;
  };
}

const fileColumns = { key: artifactBundleFiles.objectKey, url: artifactBundleFiles.url, sourcemap: artifactBundleFiles.sourcemap };

async function projectSourceFiles(d1: D1Database, bucket: R2Bucket, projectId: number): Promise<SourceFiles | null> {
  const db = drizzle(d1);
  // artifact_bundle_projects' primary key starts with the project.
  const [any] = await db
    .select({ id: artifactBundleProjects.artifactBundleId })
    .from(artifactBundleProjects)
    .where(eq(artifactBundleProjects.projectId, projectId))
    .limit(1);
  if (any === undefined) return null;

  const debugIds = new Map<string, Promise<{ minified: StoredFile | null; map: StoredFile | null }>>();
  const urls = new Map<string, Promise<StoredFile | null>>();
  return {
    byDebugId(debugId) {
      let found = debugIds.get(debugId);
      if (found === undefined) {
        found = (async () => {
          // artifact_bundle_files_by_debug_id, then the link's primary key; the newest upload wins.
          const rows = await db
            .select({ ...fileColumns, type: artifactBundleFiles.fileType })
            .from(artifactBundleFiles)
            .innerJoin(
              artifactBundleProjects,
              and(
                eq(artifactBundleProjects.artifactBundleId, artifactBundleFiles.artifactBundleId),
                eq(artifactBundleProjects.projectId, projectId),
              ),
            )
            .where(and(eq(artifactBundleFiles.debugId, debugId), inArray(artifactBundleFiles.fileType, ["minified_source", "source_map"])))
            .orderBy(desc(artifactBundleFiles.artifactBundleId))
            .limit(8);
          const of = (type: string) => {
            const row = rows.find((r) => r.type === type);
            return row === undefined ? null : { key: row.key, url: row.url, sourcemap: row.sourcemap };
          };
          return { minified: of("minified_source"), map: of("source_map") };
        })();
        debugIds.set(debugId, found);
      }
      return found;
    },
    byUrl(release, dist, candidates) {
      const cacheKey = JSON.stringify([release, dist, candidates]);
      let found = urls.get(cacheKey);
      if (found === undefined) {
        found = (async () => {
          // artifact_bundles_by_release, the link's primary key, then artifact_bundle_files_by_url.
          const rows = await db
            .select({ ...fileColumns, bundle: artifactBundles.id })
            .from(projects)
            .innerJoin(
              artifactBundles,
              and(
                eq(artifactBundles.organizationId, projects.organizationId),
                eq(artifactBundles.release, release),
                eq(artifactBundles.dist, dist),
              ),
            )
            .innerJoin(
              artifactBundleProjects,
              and(eq(artifactBundleProjects.artifactBundleId, artifactBundles.id), eq(artifactBundleProjects.projectId, projects.id)),
            )
            .innerJoin(
              artifactBundleFiles,
              and(eq(artifactBundleFiles.artifactBundleId, artifactBundles.id), inArray(artifactBundleFiles.url, [...candidates])),
            )
            .where(eq(projects.id, projectId))
            .orderBy(desc(artifactBundles.id))
            .limit(20);
          // The first candidate found wins (the URL as sent before `~/path`), then the newest bundle.
          for (const url of candidates) {
            const row = rows.find((r) => r.url === url);
            if (row !== undefined) return { key: row.key, url: row.url, sourcemap: row.sourcemap };
          }
          return null;
        })();
        urls.set(cacheKey, found);
      }
      return found;
    },
    async read(file) {
      const object = await bucket.get(file.key);
      if (object === null) throw new Error(`${file.key} is missing from R2`);
      return object.text();
    },
  };
}
