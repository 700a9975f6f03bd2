/**
 * The counts the organization-wide query routes add up, all from the digest's rollups by their
 * primary keys (never a scan of events): project_hourly and issue_hourly per hour, item_counts
 * per day and item type, rejected_envelopes by project and time, issue_tags by project and key.
 */
import { type SQL, and, gte, inArray, lt, sql } from "drizzle-orm";
import type { DrizzleD1Database } from "drizzle-orm/d1";
import { ingestRefusals, issueHourly, issueTags, itemCounts, projectHourly, rejectedEnvelopes } from "../../../db/schema";
import { DAY } from "../../../protocol/time";

export interface HourCount {
  key: number;
  hour: number;
  count: number;
}

/** One bound parameter for a list of ids: D1 binds at most 100 per statement. */
function idList(ids: readonly number[]): SQL {
  return sql`(SELECT value FROM json_each(${JSON.stringify(ids)}))`;
}

/** Events per project and hour (project_hourly's primary key). */
export async function projectHourCounts(
  db: DrizzleD1Database,
  projectIds: readonly number[],
  start: number,
  end: number,
): Promise<HourCount[]> {
  if (projectIds.length === 0) return [];
  return db
    .select({ key: projectHourly.projectId, hour: projectHourly.hour, count: projectHourly.count })
    .from(projectHourly)
    .where(and(sql`${projectHourly.projectId} IN ${idList(projectIds)}`, gte(projectHourly.hour, start), lt(projectHourly.hour, end)));
}

/** Events per issue and hour (issue_hourly's primary key). */
export async function issueHourCounts(
  db: DrizzleD1Database,
  issueIds: readonly number[],
  start: number,
  end: number,
): Promise<HourCount[]> {
  if (issueIds.length === 0) return [];
  return db
    .select({ key: issueHourly.issueId, hour: issueHourly.hour, count: issueHourly.count })
    .from(issueHourly)
    .where(and(sql`${issueHourly.issueId} IN ${idList(issueIds)}`, gte(issueHourly.hour, start), lt(issueHourly.hour, end)));
}

export interface DayCount {
  projectId: number;
  day: number;
  kind: string;
  count: number;
}

/** Items the digest stored, per project, UTC day and item type (item_counts' primary key). */
export async function acceptedDayCounts(
  db: DrizzleD1Database,
  projectIds: readonly number[],
  start: number,
  end: number,
): Promise<DayCount[]> {
  if (projectIds.length === 0) return [];
  return db
    .select({ projectId: itemCounts.projectId, day: itemCounts.day, kind: itemCounts.itemType, count: itemCounts.count })
    .from(itemCounts)
    .where(
      and(inArray(itemCounts.projectId, projectIds.slice(0, 90)), gte(itemCounts.day, start - (start % DAY)), lt(itemCounts.day, end)),
    );
}

/**
 * Requests ingest refused for what they carried, per project, UTC day and HTTP status
 * (ingest_refusals' primary key: project, hour, reason). `kind` is the status.
 */
export async function refusedDayCounts(
  db: DrizzleD1Database,
  projectIds: readonly number[],
  start: number,
  end: number,
): Promise<DayCount[]> {
  if (projectIds.length === 0) return [];
  const day = sql<number>`${ingestRefusals.hour} - ${ingestRefusals.hour} % ${DAY}`;
  return db
    .select({
      projectId: ingestRefusals.projectId,
      day: day.mapWith(Number),
      kind: sql<string>`cast(${ingestRefusals.status} AS TEXT)`,
      count: sql<number>`sum(${ingestRefusals.count})`.mapWith(Number),
    })
    .from(ingestRefusals)
    .where(and(inArray(ingestRefusals.projectId, projectIds.slice(0, 90)), gte(ingestRefusals.hour, start), lt(ingestRefusals.hour, end)))
    .groupBy(ingestRefusals.projectId, day, ingestRefusals.status);
}

/** What the digest could not read, per project, UTC day and reason (rejected_envelopes_by_project). */
export async function rejectedDayCounts(
  db: DrizzleD1Database,
  projectIds: readonly number[],
  start: number,
  end: number,
): Promise<DayCount[]> {
  if (projectIds.length === 0) return [];
  const day = sql<number>`${rejectedEnvelopes.receivedAt} - ${rejectedEnvelopes.receivedAt} % ${DAY}`;
  return db
    .select({
      projectId: rejectedEnvelopes.projectId,
      day: day.mapWith(Number),
      kind: rejectedEnvelopes.reason,
      count: sql<number>`count(*)`.mapWith(Number),
    })
    .from(rejectedEnvelopes)
    .where(
      and(
        inArray(rejectedEnvelopes.projectId, projectIds.slice(0, 90)),
        gte(rejectedEnvelopes.receivedAt, start),
        lt(rejectedEnvelopes.receivedAt, end),
      ),
    )
    .groupBy(rejectedEnvelopes.projectId, day, rejectedEnvelopes.reason);
}

/** Tag keys with how many events carried each, across projects (issue_tags_by_value starts with project, key). */
export async function tagKeyTotals(db: DrizzleD1Database, projectIds: readonly number[]): Promise<Array<{ key: string; total: number }>> {
  if (projectIds.length === 0) return [];
  return db
    .select({ key: issueTags.key, total: sql<number>`sum(${issueTags.count})`.mapWith(Number) })
    .from(issueTags)
    .where(inArray(issueTags.projectId, projectIds.slice(0, 90)))
    .groupBy(issueTags.key)
    .orderBy(issueTags.key);
}
