import { describe, expect, it } from "vitest";
import { prepareSessionAggregate, prepareSessionUpdate } from "../../../../queue-consumer/digest/items/session/prepare-session";
import { sdkEnvelopes } from "../../../support/fixtures";

const receivedAt = Date.parse("2026-11-22T00:08:49Z");
const ctx = { projectId: 7, receivedAt, messageId: "m-1", itemIndex: 1 };
const HOUR = 3_600_000;

/** @sentry/node's session update, as captured. */
const nodeSession = JSON.parse(sdkEnvelopes.nodeSession.split("\n")[2]!) as Record<string, unknown>;
const withFields = (fields: Record<string, unknown>) => ({ ...nodeSession, ...fields });

describe("prepareSessionUpdate", () => {
  it("reads @sentry/node's session: its bucket, user, clock and health", async () => {
    expect(await prepareSessionUpdate(nodeSession, ctx)).toEqual({
      projectId: 7,
      sid: "dc1270cf1d5d499685f08bbfbb10b728",
      release: "acceptance@1.0.0",
      environment: "acceptance",
      hour: Date.parse("2026-11-22T00:00:00Z"),
      started: Date.parse("2026-11-22T00:08:48.446Z"),
      user: "42",
      // No seq from the SDK: its timestamp in ms.
      seq: Date.parse("2026-11-22T00:08:48.483Z"),
      // "ok" with an error: errored.
      health: 1,
    });
  });

  it("ranks statuses: exited 0, errored 1, abnormal 2, crashed 3", async () => {
    const health = async (status: string, errors = 0) => (await prepareSessionUpdate(withFields({ status, errors }), ctx)).health;
    expect([await health("ok"), await health("exited"), await health("errored"), await health("exited", 2)]).toEqual([0, 0, 1, 1]);
    expect([await health("abnormal"), await health("crashed"), await health("unhandled")]).toEqual([2, 3, 1]);
  });

  it("refuses an unknown status", async () => {
    await expect(prepareSessionUpdate(withFields({ status: "exploded" }), ctx)).rejects.toMatchObject({
      reason: "invalid_session",
      message: 'unknown session status "exploded"',
    });
  });

  it("keeps a 10 KB did as its SHA-256, so users stay distinct and rows small", async () => {
    const long = await prepareSessionUpdate(withFields({ did: "x".repeat(10_240) }), ctx);
    const other = await prepareSessionUpdate(withFields({ did: `${"x".repeat(10_239)}y` }), ctx);
    expect(long.user).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(other.user).not.toBe(long.user);
  });

  it("refuses a session started in the future or more than five days ago", async () => {
    const at = (ms: number) => prepareSessionUpdate(withFields({ started: new Date(ms).toISOString() }), ctx);
    await expect(at(receivedAt + 2 * 60_000)).rejects.toMatchObject({ message: "session started in the future" });
    await expect(at(receivedAt - 365 * 24 * HOUR)).rejects.toMatchObject({ message: "session started more than five days ago" });
    // A little clock skew, and a session four days long, are fine.
    expect((await at(receivedAt + 30_000)).started).toBe(receivedAt + 30_000);
    expect((await at(receivedAt - 4 * 24 * HOUR)).hour).toBe(receivedAt - 4 * 24 * HOUR - ((receivedAt - 4 * 24 * HOUR) % HOUR));
  });

  it("refuses a release with control characters, over 200 characters, or none", async () => {
    const release = (value: unknown) => prepareSessionUpdate(withFields({ attrs: { release: value } }), ctx);
    await expect(release("app@1.0\u0000")).rejects.toMatchObject({ reason: "invalid_session" });
    await expect(release("app@1.0\nx")).rejects.toMatchObject({ reason: "invalid_session" });
    await expect(release("a".repeat(201))).rejects.toMatchObject({ reason: "invalid_session" });
    await expect(release("app/1.0")).rejects.toMatchObject({ reason: "invalid_session" });
    await expect(release(undefined)).rejects.toMatchObject({ message: "session names no release" });
    expect((await release("a".repeat(200))).release).toHaveLength(200);
  });

  it("refuses a session without a readable sid or start", async () => {
    await expect(prepareSessionUpdate(withFields({ sid: null }), ctx)).rejects.toMatchObject({ reason: "invalid_session" });
    await expect(prepareSessionUpdate(withFields({ started: "yesterday" }), ctx)).rejects.toMatchObject({ reason: "invalid_session" });
    await expect(prepareSessionUpdate([], ctx)).rejects.toMatchObject({ reason: "invalid_session" });
  });
});

describe("prepareSessionAggregate", () => {
  const aggregate = (groups: unknown[]) =>
    prepareSessionAggregate({ aggregates: groups, attrs: { release: "django@1.0", environment: "production" } }, ctx);

  it("reads request-mode aggregates: each group's sessions and statuses", async () => {
    const prepared = await aggregate([
      { started: "2026-11-22T00:08:00Z", exited: 5, errored: 2, crashed: 1 },
      { started: "2026-11-22T00:08:00Z", did: "u1", abnormal: 1 },
      { started: "2026-11-22T00:08:00Z", exited: 0 },
    ]);
    expect(prepared).toMatchObject({ messageId: "m-1", itemIndex: 1, release: "django@1.0", environment: "production" });
    expect(prepared.groups).toEqual([
      {
        hour: Date.parse("2026-11-22T00:00:00Z"),
        started: Date.parse("2026-11-22T00:08:00Z"),
        user: "",
        sessions: 8,
        errored: 2,
        abnormal: 0,
        crashed: 1,
      },
      {
        hour: Date.parse("2026-11-22T00:00:00Z"),
        started: Date.parse("2026-11-22T00:08:00Z"),
        user: "u1",
        sessions: 1,
        errored: 0,
        abnormal: 1,
        crashed: 0,
      },
    ]);
  });

  it("refuses negative, fractional and absurd counts", async () => {
    await expect(aggregate([{ started: "2026-11-22T00:08:00Z", exited: -3 }])).rejects.toMatchObject({ reason: "invalid_session" });
    await expect(aggregate([{ started: "2026-11-22T00:08:00Z", crashed: 1.5 }])).rejects.toMatchObject({ reason: "invalid_session" });
    await expect(aggregate([{ started: "2026-11-22T00:08:00Z", exited: 1e300 }])).rejects.toMatchObject({ reason: "invalid_session" });
    await expect(aggregate([{ started: "2026-11-22T00:08:00Z", errored: "2" }])).rejects.toMatchObject({ reason: "invalid_session" });
  });

  it("refuses an item with no aggregates list or no valid release", async () => {
    await expect(prepareSessionAggregate({ attrs: { release: "a@1" } }, ctx)).rejects.toMatchObject({ reason: "invalid_session" });
    await expect(prepareSessionAggregate({ aggregates: [], attrs: { release: "latest" } }, ctx)).rejects.toMatchObject({
      reason: "invalid_session",
    });
  });
});
