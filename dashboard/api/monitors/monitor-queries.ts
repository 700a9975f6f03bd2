/**
 * Monitors, their environments and check-ins as the API reads and writes them. The digest and
 * the minute job write check-ins (queue-consumer/digest/items/check-in/); the API creates,
 * reconfigures, disables and deletes monitors.
 */
import { type MonitorConfig, latestCheckInAt, nextExpectedAt } from "../../../protocol/monitor-config";

export interface MonitorRow {
  id: number;
  project_id: number;
  slug: string;
  name: string;
  status: "active" | "disabled";
  config: string;
  date_created: number;
}

export interface MonitorEnvironmentRow {
  id: number;
  monitor_id: number;
  name: string;
  status: string;
  last_checkin: number | null;
  next_checkin: number | null;
  next_checkin_latest: number | null;
}

export interface CheckInRow {
  guid: string;
  status: string;
  duration: number | null;
  date_created: number;
  expected_time: number | null;
  environment: string;
}

const MONITOR_COLUMNS = "m.id, m.project_id, m.slug, m.name, m.status, m.config, m.date_created";

/** The monitors of some projects, by slug (monitors_project_id_slug_unique), with their environments. */
export async function listMonitors(
  d1: D1Database,
  projectIds: readonly number[],
): Promise<Array<MonitorRow & { environments: MonitorEnvironmentRow[] }>> {
  if (projectIds.length === 0) return [];
  const ids = JSON.stringify(projectIds);
  const [monitors, environments] = await d1.batch([
    d1
      .prepare(`SELECT ${MONITOR_COLUMNS} FROM monitors m WHERE m.project_id IN (SELECT value FROM json_each(?1)) ORDER BY m.slug, m.id`)
      .bind(ids),
    d1
      .prepare(
        `SELECT e.id, e.monitor_id, e.name, e.status, e.last_checkin, e.next_checkin, e.next_checkin_latest FROM monitor_environments e
         WHERE e.monitor_id IN (SELECT id FROM monitors WHERE project_id IN (SELECT value FROM json_each(?1))) ORDER BY e.name`,
      )
      .bind(ids),
  ]);
  const byMonitor = new Map<number, MonitorEnvironmentRow[]>();
  for (const e of (environments?.results ?? []) as unknown as MonitorEnvironmentRow[])
    byMonitor.set(e.monitor_id, [...(byMonitor.get(e.monitor_id) ?? []), e]);
  return ((monitors?.results ?? []) as unknown as MonitorRow[]).map((m) => ({ ...m, environments: byMonitor.get(m.id) ?? [] }));
}

/** A monitor by slug among some projects (monitors_project_id_slug_unique; the first project's when two share it). */
export async function findMonitor(
  d1: D1Database,
  projectIds: readonly number[],
  slug: string,
): Promise<(MonitorRow & { environments: MonitorEnvironmentRow[] }) | null> {
  if (projectIds.length === 0) return null;
  const monitor = await d1
    .prepare(
      `SELECT ${MONITOR_COLUMNS} FROM monitors m WHERE m.slug = ?1 AND m.project_id IN (SELECT value FROM json_each(?2)) ORDER BY m.project_id LIMIT 1`,
    )
    .bind(slug, JSON.stringify(projectIds))
    .first<MonitorRow>();
  if (!monitor) return null;
  const { results } = await d1
    .prepare(
      "SELECT id, monitor_id, name, status, last_checkin, next_checkin, next_checkin_latest FROM monitor_environments WHERE monitor_id = ? ORDER BY name",
    )
    .bind(monitor.id)
    .all<MonitorEnvironmentRow>();
  return { ...monitor, environments: results };
}

/**
 * A monitor's check-ins, newest first: each environment's newest (monitor_checkins_by_environment),
 * merged, so no environment's whole history is read.
 */
export async function listCheckIns(d1: D1Database, environments: readonly MonitorEnvironmentRow[], limit: number): Promise<CheckInRow[]> {
  if (environments.length === 0) return [];
  const parts = environments.slice(0, 20).map(
    (e) =>
      `SELECT * FROM (SELECT c.guid, c.status, c.duration, c.date_created, c.expected_time, c.id, ${sqlString(e.name)} AS environment
       FROM monitor_checkins c WHERE c.monitor_environment_id = ${Number(e.id)} ORDER BY c.date_created DESC, c.id DESC LIMIT ?1)`,
  );
  const { results } = await d1
    .prepare(`${parts.join(" UNION ALL ")} ORDER BY date_created DESC, id DESC LIMIT ?1`)
    .bind(limit)
    .all<CheckInRow>();
  return results;
}

function sqlString(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

export async function createMonitor(
  d1: D1Database,
  monitor: { projectId: number; slug: string; name: string; status: "active" | "disabled"; config: MonitorConfig },
  now: number,
): Promise<boolean> {
  const result = await d1
    .prepare(
      "INSERT INTO monitors (project_id, slug, name, status, config, date_created) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (project_id, slug) DO NOTHING",
    )
    .bind(monitor.projectId, monitor.slug, monitor.name, monitor.status, JSON.stringify(monitor.config), now)
    .run();
  return (result.meta.changes ?? 0) > 0;
}

/**
 * A new name, status or configuration. Each environment's next run is dated again from its last
 * check-in by the new schedule; a disabled monitor expects none (the minute job skips it).
 */
export async function updateMonitor(
  d1: D1Database,
  monitor: MonitorRow & { environments: MonitorEnvironmentRow[] },
  change: { name: string; status: "active" | "disabled"; config: MonitorConfig },
): Promise<void> {
  const statements = [
    d1
      .prepare("UPDATE monitors SET name = ?, status = ?, config = ? WHERE id = ?")
      .bind(change.name, change.status, JSON.stringify(change.config), monitor.id),
  ];
  for (const e of monitor.environments) {
    const next = change.status === "active" && e.last_checkin !== null ? nextExpectedAt(change.config, e.last_checkin) : null;
    statements.push(
      d1
        .prepare("UPDATE monitor_environments SET next_checkin = ?, next_checkin_latest = ? WHERE id = ?")
        .bind(next, next === null ? null : latestCheckInAt(change.config, next), e.id),
    );
  }
  await d1.batch(statements);
}

/** The monitor with its environments and check-ins; its issues stay, as Sentry keeps them. */
export async function deleteMonitor(d1: D1Database, monitorId: number): Promise<void> {
  await d1.batch([
    d1
      .prepare("DELETE FROM monitor_checkins WHERE monitor_environment_id IN (SELECT id FROM monitor_environments WHERE monitor_id = ?)")
      .bind(monitorId),
    d1.prepare("DELETE FROM monitor_environments WHERE monitor_id = ?").bind(monitorId),
    d1.prepare("DELETE FROM monitors WHERE id = ?").bind(monitorId),
  ]);
}
