import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { DAY, HOUR } from "../../../protocol/time";
import { seedOrganization } from "../../support/seed-issues";
import { logIn, seedUser, send } from "../../support/seed-users";

async function owner() {
  const org = await seedOrganization();
  const cookie = await logIn(await seedUser(org.orgId, "owner"));
  return { org, cookie, project: `/api/0/projects/${org.orgSlug}/${org.projectSlug}` };
}

async function addRefusals(
  projectId: number,
  rows: Array<[hour: number, reason: string, count: number, status: number, detail: string, lastSeen: number]>,
) {
  for (const [hour, reason, count, status, detail, lastSeen] of rows) {
    await env.DB.prepare(
      "INSERT INTO ingest_refusals (project_id, hour, reason, count, status, detail, last_seen) VALUES (?, ?, ?, ?, ?, ?, ?)",
    )
      .bind(projectId, hour, reason, count, status, detail, lastSeen)
      .run();
  }
}

describe("ingest refusals", () => {
  it("sum a project's refusals per reason over the period, the latest detail and time with each, most recent first", async () => {
    const { org, cookie, project } = await owner();
    const hour = Date.now() - (Date.now() % HOUR);
    await addRefusals(org.projectId, [
      [hour, "bad_compression", 3, 400, "body is not valid gzip data", hour + 60_000],
      [hour - 2 * HOUR, "bad_compression", 4, 400, "an older detail", hour - 2 * HOUR + 5_000],
      [hour - 5 * HOUR, "body_too_large", 1, 413, "body exceeds 20971520 bytes", hour - 5 * HOUR + 1_000],
      // Older than a day: in the week, not in the last 24 hours.
      [hour - 3 * DAY, "malformed_envelope", 9, 400, "envelope header is not JSON", hour - 3 * DAY],
      // Older than 30 days: in no period.
      [hour - 40 * DAY, "malformed_event", 2, 400, "event is not valid JSON", hour - 40 * DAY],
    ]);
    const other = await seedOrganization();
    await addRefusals(other.projectId, [[hour, "bad_compression", 100, 400, "another project", hour]]);

    const week = await send("GET", `${project}/ingest-refusals/`, { cookie });
    expect(week.status).toBe(200);
    expect(week.json).toEqual([
      {
        reason: "bad_compression",
        status: 400,
        count: 7,
        lastSeen: new Date(hour + 60_000).toISOString(),
        detail: "body is not valid gzip data",
      },
      {
        reason: "body_too_large",
        status: 413,
        count: 1,
        lastSeen: new Date(hour - 5 * HOUR + 1_000).toISOString(),
        detail: "body exceeds 20971520 bytes",
      },
      {
        reason: "malformed_envelope",
        status: 400,
        count: 9,
        lastSeen: new Date(hour - 3 * DAY).toISOString(),
        detail: "envelope header is not JSON",
      },
    ]);
    const day = await send("GET", `${project}/ingest-refusals/?statsPeriod=24h`, { cookie });
    expect(day.json.map((r: { reason: string; count: number }) => [r.reason, r.count])).toEqual([
      ["bad_compression", 7],
      ["body_too_large", 1],
    ]);
    const month = await send("GET", `${project}/ingest-refusals/?statsPeriod=30d`, { cookie });
    expect(month.json.map((r: { reason: string }) => r.reason)).toEqual(["bad_compression", "body_too_large", "malformed_envelope"]);
  });

  it("answer an empty list for a project with none, 400 for an unknown period, 404 for another organization's project", async () => {
    const { cookie, project } = await owner();
    expect((await send("GET", `${project}/ingest-refusals/`, { cookie })).json).toEqual([]);
    const bad = await send("GET", `${project}/ingest-refusals/?statsPeriod=1y`, { cookie });
    expect(bad.status).toBe(400);
    const other = await seedOrganization();
    expect((await send("GET", `/api/0/projects/${other.orgSlug}/${other.projectSlug}/ingest-refusals/`, { cookie })).status).toBe(404);
  });
});
