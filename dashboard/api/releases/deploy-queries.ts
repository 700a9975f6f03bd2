import { and, asc, desc, eq, gt, gte, lt, lte, or, sql } from "drizzle-orm";
import type { DrizzleD1Database } from "drizzle-orm/d1";
import { organizationReleases, releaseDeploys } from "../../../db/schema";
import type { Cursor } from "../cursor-pagination";
import type { DeployRow } from "./release-queries";

export interface NewDeploy {
  environment: string;
  name: string | null;
  url: string | null;
  dateStarted: number | null;
  dateFinished: number;
}

/**
 * Records a deploy and makes it the release's last one, counted, in one transaction (Sentry
 * keeps total_deploys and last_deploy_id on the release the same way, so a page of releases
 * reads one deploy each).
 */
export async function createDeploy(db: DrizzleD1Database, releaseId: number, deploy: NewDeploy): Promise<DeployRow> {
  const [inserted] = await db.batch([
    db
      .insert(releaseDeploys)
      .values({ releaseId, ...deploy })
      .returning(),
    db
      .update(organizationReleases)
      .set({ deployCount: sql`${organizationReleases.deployCount} + 1`, lastDeployId: sql`last_insert_rowid()` })
      .where(eq(organizationReleases.id, releaseId)),
  ]);
  return inserted[0]!;
}

/**
 * A page of a release's deploys, the last finished first (release_deploys_by_release), up to
 * limit + 1 rows in the cursor's direction for keysetPage.
 */
export async function listDeploys(db: DrizzleD1Database, releaseId: number, cursor: Cursor | null, limit: number): Promise<DeployRow[]> {
  const d = releaseDeploys;
  const back = cursor?.previous === true;
  const conditions = [eq(d.releaseId, releaseId)];
  if (cursor !== null) {
    const { value, id } = cursor;
    conditions.push(
      back
        ? and(gte(d.dateFinished, value), or(gt(d.dateFinished, value), gt(d.id, id)))!
        : and(lte(d.dateFinished, value), or(lt(d.dateFinished, value), lt(d.id, id)))!,
    );
  }
  return db
    .select()
    .from(d)
    .where(and(...conditions))
    .orderBy(...(back ? [asc(d.dateFinished), asc(d.id)] : [desc(d.dateFinished), desc(d.id)]))
    .limit(limit + 1);
}
