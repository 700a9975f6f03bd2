import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { BatchWrite } from "../../../../queue-consumer/digest/batch-write";
import {
  type PreparedSessionAggregate,
  type PreparedSessionUpdate,
  prepareSessionAggregate,
  prepareSessionUpdate,
} from "../../../../queue-consumer/digest/items/session/prepare-session";
import { addSessionStatements } from "../../../../queue-consumer/digest/items/session/session-statements";
import { seedProject } from "../../../support/seed";

const HOUR = 3_600_000;
const now = Date.now();
const started = new Date(now - 2 * HOUR).toISOString();

interface Rollup {
  release: string;
  environment: string;
  hour: number;
  sessions: number;
  errored: number;
  abnormal: number;
  crashed: number;
  users: number;
  crashed_users: number;
}

async function rollups(projectId: number): Promise<Rollup[]> {
  const { results } = await env.DB.prepare(
    "SELECT release, environment, hour, sessions, errored, abnormal, crashed, users, crashed_users FROM session_rollups WHERE project_id = ? ORDER BY release, environment, hour",
  )
    .bind(projectId)
    .all<Rollup>();
  return results;
}

/** One digest run's write of these updates and aggregates. */
async function write(updates: PreparedSessionUpdate[], aggregates: PreparedSessionAggregate[] = []): Promise<void> {
  const batch = new BatchWrite(env.DB, now);
  addSessionStatements(batch, updates, aggregates);
  await batch.commit();
}

function update(projectId: number, fields: Record<string, unknown>): Promise<PreparedSessionUpdate> {
  return prepareSessionUpdate(
    { started, status: "ok", errors: 0, attrs: { release: "shop@2.0.0", environment: "production" }, ...fields },
    { projectId, receivedAt: now, messageId: "m", itemIndex: 0 },
  );
}

describe("session statements", () => {
  it("counts a known set of sessions exactly, with updates delivered twice, late and out of order", async () => {
    const { projectId } = await seedProject();
    // 16 sessions of 8 users: 10 healthy, 2 errored, 1 abnormal, 3 crashed (users 1 and 2 crashed).
    const outcomes: Array<[string, Record<string, unknown>]> = [
      ...Array.from({ length: 10 }, (_, i): [string, Record<string, unknown>] => [`u${i % 8}`, { status: "exited" }]),
      ["u3", { status: "exited", errors: 1 }],
      ["u4", { status: "errored", errors: 2 }],
      ["u5", { status: "abnormal" }],
      ["u1", { status: "crashed", errors: 1 }],
      ["u1", { status: "crashed", errors: 1 }],
      ["u2", { status: "crashed", errors: 1 }],
    ];
    const inits: PreparedSessionUpdate[] = [];
    const ends: PreparedSessionUpdate[] = [];
    for (const [i, [did, end]] of outcomes.entries()) {
      const sid = crypto.randomUUID();
      inits.push(await update(projectId, { sid, did, init: true, seq: 1 }));
      ends.push(await update(projectId, { sid, did, init: false, seq: 2, ...end }));
      // The crashed ones had an error before they crashed.
      if (i >= 13) ends.push(await update(projectId, { sid, did, seq: 1, errors: 1 }));
    }
    // Half the inits, then every end before the other half of the inits (the queue reorders).
    await write(inits.slice(0, 8));
    await write(ends);
    await write(inits.slice(8));
    // Redelivered: every update again, and one end twice in one batch.
    await write([...inits, ...ends, ends[0]!, ends[0]!]);
    await write(ends.slice(10));

    const [rollup] = await rollups(projectId);
    expect(rollup).toMatchObject({ sessions: 16, errored: 2, abnormal: 1, crashed: 3, users: 8, crashed_users: 2 });
    // Crash-free sessions (16 - 3) / 16 and users (8 - 2) / 8.
    expect((100 * (rollup!.sessions - rollup!.crashed)) / rollup!.sessions).toBe(81.25);
    expect((100 * (rollup!.users - rollup!.crashed_users)) / rollup!.users).toBe(75);
    expect(rollup!.hour % HOUR).toBe(0);
  });

  it("writes no row for an update delivered again, nor for one that changes nothing", async () => {
    const { projectId } = await seedProject();
    const sid = crypto.randomUUID();
    const init = await update(projectId, { sid, did: "u", init: true, seq: 1 });
    await write([init]);
    let written = 0;
    const counting = new Proxy(env.DB, {
      get(target, key) {
        if (key === "batch")
          return async (statements: D1PreparedStatement[]) => {
            const results = await target.batch(statements);
            for (const r of results) written += r.meta.rows_written ?? 0;
            return results;
          };
        const value = Reflect.get(target, key);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    const again = new BatchWrite(counting, now);
    addSessionStatements(again, [init, await update(projectId, { sid, did: "u", seq: 2, status: "exited" })], []);
    await again.commit();
    expect(written).toBe(0);
  });

  it("ignores an update older than the session's state, and never makes a session better", async () => {
    const { projectId } = await seedProject();
    const sid = crypto.randomUUID();
    await write([await update(projectId, { sid, init: true, seq: 5, errors: 1 })]);
    await write([await update(projectId, { sid, seq: 3, status: "crashed" })]);
    await write([await update(projectId, { sid, seq: 9, status: "exited" })]);
    expect(await rollups(projectId)).toMatchObject([{ sessions: 1, errored: 1, abnormal: 0, crashed: 0, users: 0 }]);
    const state = await env.DB.prepare("SELECT seq, status FROM session_states WHERE project_id = ?").bind(projectId).first();
    expect(state).toEqual({ seq: 5, status: 1 });
  });

  it("counts an update of a session it never saw begin as the session's beginning, once", async () => {
    const { projectId } = await seedProject();
    const sid = crypto.randomUUID();
    const crashed = await update(projectId, { sid, init: false, seq: 7, status: "crashed", did: "u" });
    await write([crashed]);
    await write([crashed]);
    // Its init arrives last: older, it changes nothing.
    await write([await update(projectId, { sid, init: true, seq: 1, did: "u" })]);
    expect(await rollups(projectId)).toMatchObject([{ sessions: 1, crashed: 1, users: 1, crashed_users: 1 }]);
  });

  it("keeps a session in the bucket of its first update, whatever later updates name", async () => {
    const { projectId } = await seedProject();
    const sid = crypto.randomUUID();
    await write([await update(projectId, { sid, init: true, seq: 1 })]);
    await write([
      await update(projectId, { sid, seq: 2, status: "crashed", attrs: { release: "shop@3.0.0" }, started: new Date(now).toISOString() }),
    ]);
    expect(await rollups(projectId)).toMatchObject([{ release: "shop@2.0.0", environment: "production", sessions: 1, crashed: 1 }]);
  });

  it("adds request-mode aggregates once per queue message, however often it is delivered", async () => {
    const { projectId } = await seedProject();
    const aggregate = (messageId: string) =>
      prepareSessionAggregate(
        {
          aggregates: [
            { started, exited: 7, errored: 1 },
            { started, did: "u9", exited: 1, crashed: 1 },
          ],
          attrs: { release: "shop@2.0.0", environment: "production" },
        },
        { projectId, receivedAt: now, messageId, itemIndex: 1 },
      );
    const first = await aggregate("message-1");
    await write([], [first]);
    await write([], [first, first]);
    await write([], [await aggregate("message-2")]);
    expect(await rollups(projectId)).toMatchObject([{ sessions: 20, errored: 2, crashed: 2, users: 1, crashed_users: 1 }]);
  });

  it("records the release and environment sessions name", async () => {
    const { projectId } = await seedProject();
    await write([
      await update(projectId, { sid: crypto.randomUUID(), init: true, attrs: { release: "health@1.0.0", environment: "staging" } }),
    ]);
    const release = await env.DB.prepare("SELECT version FROM releases WHERE project_id = ?").bind(projectId).first();
    expect(release).toEqual({ version: "health@1.0.0" });
    const environment = await env.DB.prepare("SELECT name FROM environments WHERE project_id = ?").bind(projectId).first();
    expect(environment).toEqual({ name: "staging" });
    const organizationRelease = await env.DB.prepare(
      "SELECT r.version FROM organization_releases r JOIN projects p ON p.organization_id = r.organization_id WHERE p.id = ?",
    )
      .bind(projectId)
      .first();
    expect(organizationRelease).toEqual({ version: "health@1.0.0" });
  });
});
