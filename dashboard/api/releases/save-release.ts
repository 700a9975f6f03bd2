import type { DrizzleD1Database } from "drizzle-orm/d1";
import { badRequest } from "../api-error";
import { type ReleaseUpdateInput, commitsOf } from "./release-input";
import {
  type NewReleaseFields,
  type ProjectRef,
  type ReleaseRow,
  createOrFindRelease,
  findRelease,
  linkProjects,
  setReleaseCommits,
  updateRelease,
} from "./release-queries";

/**
 * Creating and changing releases as Sentry's release endpoints do
 * (src/sentry/api/endpoints/organization_releases.py, organization_release_details.py): creating
 * one that exists answers it, linking the projects it lacks; `commits` replace its commits and
 * `refs` give each repository's head commit instead.
 */

/** The organization's projects a request names by id or slug; 400 for any other, as Sentry answers. */
export function projectsNamed(refs: ReadonlyArray<number | string>, orgProjects: readonly ProjectRef[]): number[] {
  return refs.map((ref) => {
    const project = orgProjects.find((p) => (typeof ref === "number" ? p.id === ref : p.slug === ref));
    return project?.id ?? badRequest("projects: Invalid project ids or slugs");
  });
}

function fieldsOf(input: ReleaseUpdateInput): NewReleaseFields {
  return { ref: input.ref, url: input.url, dateStarted: input.dateStarted, dateReleased: input.dateReleased, status: input.status };
}

/**
 * 201 when the release or one of its project links is new, 208 (Already Reported) when both
 * existed: Sentry's answers, so a client can tell them apart.
 */
export async function saveNewRelease(
  db: DrizzleD1Database,
  organizationId: number,
  input: ReleaseUpdateInput & { version: string },
  projectIds: readonly number[],
  orgProjects: readonly ProjectRef[],
  now: number,
): Promise<{ release: ReleaseRow; status: 201 | 208 }> {
  const { release, created } = await createOrFindRelease(db, organizationId, input.version, fieldsOf(input), now);
  const linked = await linkProjects(
    db,
    release,
    projectIds,
    orgProjects.map((p) => p.id),
  );
  const commits = commitsOf(input);
  if (commits !== undefined) await setReleaseCommits(db, release.id, commits);
  const saved = commits === undefined ? release : ((await findRelease(db, organizationId, release.version)) ?? release);
  return { release: saved, status: created || linked ? 201 : 208 };
}

/** A PUT: the fields it names, then its commits; answers the release as it now is. */
export async function saveReleaseUpdate(db: DrizzleD1Database, release: ReleaseRow, input: ReleaseUpdateInput): Promise<ReleaseRow> {
  const updated = await updateRelease(db, release, fieldsOf(input));
  const commits = commitsOf(input);
  if (commits === undefined) return updated;
  await setReleaseCommits(db, release.id, commits);
  return (await findRelease(db, release.organizationId, release.version)) ?? updated;
}
