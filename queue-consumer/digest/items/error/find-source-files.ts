import { and, desc, eq, inArray, sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { artifactBundleFiles, artifactBundleProjects, artifactBundles, projects } from "../../../../db/schema";
import { DAY } from "../../../../protocol/time";
import type { SourceFiles, StoredFile } from "./symbolicate-javascript";

/**
 * The files sentry-cli uploaded (dashboard/api/sourcemaps/), as symbolication looks them up:
 * D1's index, R2's bytes. One lookup per project for the batch: a project without bundles costs
 * one query per batch and nothing per event; answers are remembered for the batch, so a
 * hundred events of one build ask D1 once per file.
 */
export function sourceFilesOfBatch(
  d1: D1Database,
  bucket: R2Bucket,
  now: number = Date.now(),
): (projectId: number) => Promise<SourceFiles | null> {
  const byProject = new Map<number, Promise<SourceFiles | null>>();
  const markUsed = bundleUseMarker(d1, now);
  return (projectId) => {
    let files = byProject.get(projectId);
    if (files === undefined) {
      files = projectSourceFiles(d1, bucket, projectId, markUsed);
      byProject.set(projectId, files);
    }
    return files;
  };
}

const fileColumns = {
  key: artifactBundleFiles.objectKey,
  url: artifactBundleFiles.url,
  sourcemap: artifactBundleFiles.sourcemap,
  bundle: artifactBundleFiles.artifactBundleId,
  lastUsed: sql<number>`coalesce(${artifactBundles.lastUsedAt}, ${artifactBundles.dateAdded})`,
};

type MarkUsed = (rows: ReadonlyArray<{ bundle: number; lastUsed: number }>) => Promise<void>;

/**
 * Retention keeps a bundle while events use it (queue-consumer/jobs/enforce-retention.ts): a
 * bundle found for a frame is marked used, but only when its mark is a day old, so a build's
 * bundle costs one D1 write a day, not one per event. Once per bundle per batch.
 */
function bundleUseMarker(d1: D1Database, now: number): MarkUsed {
  const marked = new Set<number>();
  return async (rows) => {
    const stale = [...new Set(rows.filter((r) => r.lastUsed < now - DAY && !marked.has(r.bundle)).map((r) => r.bundle))];
    if (stale.length === 0) return;
    for (const id of stale) marked.add(id);
    try {
      await d1
        .prepare(
          "UPDATE artifact_bundles SET last_used_at = ?1 WHERE id IN (SELECT value FROM json_each(?2)) AND coalesce(last_used_at, date_added) < ?1 - ?3",
        )
        .bind(now, JSON.stringify(stale), DAY)
        .run();
    } catch (err) {
      // A mark missed is taken again by the next batch; the frames are mapped all the same.
      marked.clear();
      console.warn("source maps: could not mark bundles used", err);
    }
  };
}

async function projectSourceFiles(d1: D1Database, bucket: R2Bucket, projectId: number, markUsed: MarkUsed): Promise<SourceFiles | null> {
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
            .innerJoin(artifactBundles, eq(artifactBundles.id, artifactBundleFiles.artifactBundleId))
            .where(and(eq(artifactBundleFiles.debugId, debugId), inArray(artifactBundleFiles.fileType, ["minified_source", "source_map"])))
            .orderBy(desc(artifactBundleFiles.artifactBundleId))
            .limit(8);
          const of = (type: string) => rows.find((r) => r.type === type);
          const minified = of("minified_source");
          const map = of("source_map");
          await markUsed([minified, map].filter((r) => r !== undefined));
          return { minified: storedFile(minified), map: storedFile(map) };
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
            .select(fileColumns)
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
            if (row !== undefined) {
              await markUsed([row]);
              return storedFile(row);
            }
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

function storedFile(row: { key: string; url: string | null; sourcemap: string | null } | undefined): StoredFile | null {
  return row === undefined ? null : { key: row.key, url: row.url, sourcemap: row.sourcemap };
}
