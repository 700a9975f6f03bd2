import { and, desc, eq, inArray, or, sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import type { DrizzleD1Database } from "drizzle-orm/d1";
import { artifactBundleFiles, artifactBundleProjects, artifactBundles, projects } from "../../../db/schema";
import { DAY } from "../../../protocol/time";
import type { BundleFileType } from "./read-artifact-bundle";

export interface BundleRow {
  id: number;
  checksum: string;
  bundleId: string | null;
  release: string | null;
  dist: string;
  fileCount: number;
  size: number;
  dateAdded: number;
}

const bundleColumns = {
  id: artifactBundles.id,
  checksum: artifactBundles.checksum,
  bundleId: artifactBundles.bundleId,
  release: artifactBundles.release,
  dist: artifactBundles.dist,
  fileCount: artifactBundles.fileCount,
  size: artifactBundles.size,
  dateAdded: artifactBundles.dateAdded,
};

/** The organization's bundle with this sha1 (its unique index). */
export async function findBundle(db: DrizzleD1Database, organizationId: number, checksum: string): Promise<BundleRow | null> {
  const [row] = await db
    .select(bundleColumns)
    .from(artifactBundles)
    .where(and(eq(artifactBundles.organizationId, organizationId), eq(artifactBundles.checksum, checksum)))
    .limit(1);
  return row ?? null;
}

/** The organization's projects named by slug or id, as `projects` in an upload names them. */
export async function organizationProjectIds(
  db: DrizzleD1Database,
  organizationId: number,
  refs: readonly string[],
): Promise<Map<string, number>> {
  const rows = await db.select({ id: projects.id, slug: projects.slug }).from(projects).where(eq(projects.organizationId, organizationId));
  const out = new Map<string, number>();
  for (const ref of refs) {
    const project = rows.find((p) => p.slug === ref || String(p.id) === ref);
    if (project !== undefined) out.set(ref, project.id);
  }
  return out;
}

/**
 * What each project keeps in bundles, for its size limit: the bytes of its bundles other than
 * the one with this sha1, and whether it keeps that one already. Through the link's primary key
 * (project first), then the bundles' ids.
 */
export async function projectBundleBytes(
  db: DrizzleD1Database,
  projectIds: readonly number[],
  checksum: string,
): Promise<Map<number, { otherBytes: number; hasBundle: boolean }>> {
  const out = new Map(projectIds.map((id) => [id, { otherBytes: 0, hasBundle: false }]));
  if (projectIds.length === 0) return out;
  const rows = await db
    .select({
      projectId: artifactBundleProjects.projectId,
      otherBytes: sql<number>`coalesce(sum(CASE WHEN ${artifactBundles.checksum} = ${checksum} THEN 0 ELSE ${artifactBundles.size} END), 0)`,
      hasBundle: sql<number>`max(${artifactBundles.checksum} = ${checksum})`,
    })
    .from(artifactBundleProjects)
    .innerJoin(artifactBundles, eq(artifactBundles.id, artifactBundleProjects.artifactBundleId))
    .where(inArray(artifactBundleProjects.projectId, [...projectIds]))
    .groupBy(artifactBundleProjects.projectId);
  for (const row of rows) out.set(row.projectId, { otherBytes: Number(row.otherBytes), hasBundle: row.hasBundle === 1 });
  return out;
}

/** The bytes of the project's bundles (the settings page's "space used"), and its retention. */
export async function projectSourceMapBytes(
  db: DrizzleD1Database,
  projectId: number,
): Promise<{ bytes: number; bundles: number; retentionDays: number }> {
  const [project] = await db.select({ retentionDays: projects.retentionDays }).from(projects).where(eq(projects.id, projectId));
  const [row] = await db
    .select({ bytes: sql<number>`coalesce(sum(${artifactBundles.size}), 0)`, bundles: sql<number>`count(*)` })
    .from(artifactBundleProjects)
    .innerJoin(artifactBundles, eq(artifactBundles.id, artifactBundleProjects.artifactBundleId))
    .where(eq(artifactBundleProjects.projectId, projectId));
  return { bytes: Number(row?.bytes ?? 0), bundles: Number(row?.bundles ?? 0), retentionDays: project?.retentionDays ?? 0 };
}

/**
 * An upload of a bundle the organization has counts as a use of it for retention; written at
 * most once a day per bundle, as the digest's uses are.
 */
export async function markBundleUsed(db: DrizzleD1Database, id: number, now: number): Promise<void> {
  await db
    .update(artifactBundles)
    .set({ lastUsedAt: now })
    .where(and(eq(artifactBundles.id, id), sql`coalesce(${artifactBundles.lastUsedAt}, ${artifactBundles.dateAdded}) < ${now - DAY}`));
}

export async function linkBundleToProjects(db: DrizzleD1Database, artifactBundleId: number, projectIds: readonly number[]): Promise<void> {
  if (projectIds.length === 0) return;
  await db
    .insert(artifactBundleProjects)
    .values(projectIds.map((projectId) => ({ projectId, artifactBundleId })))
    .onConflictDoNothing();
}

export interface NewBundle {
  organizationId: number;
  checksum: string;
  bundleId: string | null;
  release: string | null;
  dist: string;
  size: number;
  dateAdded: number;
  files: Array<{
    fileType: BundleFileType;
    url: string | null;
    debugId: string | null;
    sourcemap: string | null;
    objectKey: string;
    size: number;
  }>;
  projectIds: readonly number[];
}

/** Bound parameters per file row (7, and 2 for its bundle's id), under D1's 100. */
const FILE_ROWS_PER_STATEMENT = 11;

/**
 * The bundle, its files and its projects in one D1 batch, a transaction: a bundle is indexed
 * whole or not at all, so a failure half-way never leaves a bundle that a re-upload would take
 * for complete. The files find the bundle's id by its unique (organization, sha1); a concurrent
 * assembly of the same bundle fails the first insert, and with it the whole batch.
 */
export async function insertBundle(db: DrizzleD1Database, bundle: NewBundle): Promise<void> {
  const { files, projectIds, ...fields } = bundle;
  const bundleId = sql<number>`(SELECT ${artifactBundles.id} FROM ${artifactBundles} WHERE ${artifactBundles.organizationId} = ${bundle.organizationId} AND ${artifactBundles.checksum} = ${bundle.checksum})`;
  const statements: BatchItem<"sqlite">[] = [db.insert(artifactBundles).values({ ...fields, fileCount: files.length })];
  for (let i = 0; i < files.length; i += FILE_ROWS_PER_STATEMENT) {
    const rows = files.slice(i, i + FILE_ROWS_PER_STATEMENT).map((file) => ({ ...file, artifactBundleId: bundleId }));
    statements.push(db.insert(artifactBundleFiles).values(rows));
  }
  statements.push(db.insert(artifactBundleProjects).values(projectIds.map((projectId) => ({ projectId, artifactBundleId: bundleId }))));
  await db.batch(statements as [BatchItem<"sqlite">, ...BatchItem<"sqlite">[]]);
}

export interface ListedBundle extends BundleRow {
  debugIds: string[];
}

/** A project's bundles, newest first (artifact_bundle_projects' primary key, then the bundles'), each with its debug ids. */
export async function listProjectBundles(db: DrizzleD1Database, projectId: number, limit: number): Promise<ListedBundle[]> {
  const rows = await db
    .select(bundleColumns)
    .from(artifactBundleProjects)
    .innerJoin(artifactBundles, eq(artifactBundles.id, artifactBundleProjects.artifactBundleId))
    .where(eq(artifactBundleProjects.projectId, projectId))
    .orderBy(desc(artifactBundleProjects.artifactBundleId))
    .limit(limit);
  if (rows.length === 0) return [];
  const ids = rows.map((r) => r.id);
  const debugIds = await db
    .selectDistinct({ bundle: artifactBundleFiles.artifactBundleId, debugId: artifactBundleFiles.debugId })
    .from(artifactBundleFiles)
    .where(and(inArray(artifactBundleFiles.artifactBundleId, ids), sql`${artifactBundleFiles.debugId} IS NOT NULL`));
  return rows.map((row) => ({
    ...row,
    debugIds: debugIds.filter((d) => d.bundle === row.id && d.debugId !== null).map((d) => d.debugId!),
  }));
}

/**
 * Takes a bundle off a project. A bundle no project keeps any more goes, rows and R2 objects:
 * answers the objects' keys for the caller to delete (after the rows, so no row points at a
 * deleted object). Null when the project has no such bundle. `bundleId` is the bundle's id, or
 * its sha1 for a bundle without one; the organization's bundles are few, so no index.
 */
export async function removeBundleFromProject(
  db: DrizzleD1Database,
  organizationId: number,
  projectId: number,
  bundleId: string,
): Promise<string[] | null> {
  const [bundle] = await db
    .select({ id: artifactBundles.id })
    .from(artifactBundles)
    .innerJoin(
      artifactBundleProjects,
      and(eq(artifactBundleProjects.artifactBundleId, artifactBundles.id), eq(artifactBundleProjects.projectId, projectId)),
    )
    .where(
      and(
        eq(artifactBundles.organizationId, organizationId),
        or(eq(artifactBundles.bundleId, bundleId), eq(artifactBundles.checksum, bundleId)),
      ),
    )
    .limit(1);
  if (bundle === undefined) return null;
  await db
    .delete(artifactBundleProjects)
    .where(and(eq(artifactBundleProjects.projectId, projectId), eq(artifactBundleProjects.artifactBundleId, bundle.id)));
  const [kept] = await db
    .select({ projectId: artifactBundleProjects.projectId })
    .from(artifactBundleProjects)
    .where(eq(artifactBundleProjects.artifactBundleId, bundle.id))
    .limit(1);
  if (kept !== undefined) return [];
  const keys = await db
    .select({ key: artifactBundleFiles.objectKey })
    .from(artifactBundleFiles)
    .where(eq(artifactBundleFiles.artifactBundleId, bundle.id));
  await db.batch([
    db.delete(artifactBundleFiles).where(eq(artifactBundleFiles.artifactBundleId, bundle.id)),
    db.delete(artifactBundles).where(eq(artifactBundles.id, bundle.id)),
  ]);
  return keys.map((k) => k.key);
}
