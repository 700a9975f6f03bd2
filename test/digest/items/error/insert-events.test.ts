import { describe, expect, it } from "vitest";
import { HEX_DATA_MAX, JSON_PARAM_BUDGET, eventInsertParams } from "../../../../queue-consumer/digest/items/error/insert-events";
import type { PreparedEvent } from "../../../../queue-consumer/digest/items/error/prepare-error";
import { fixtureEvent, randomEventId } from "../../../support/seed-issues";

// D1 refuses a string or blob parameter over 2 MB; local D1 does not, so the split is checked here.
const D1_PARAM_MAX = 2_000_000;

/** A prepared event with `dataBytes` of data; `userKey` stands for any large column other than data (tags, say). */
function prepared(dataBytes: number, userKey = "id:u-1"): PreparedEvent {
  const event = { ...fixtureEvent("node-2", { eventId: randomEventId() }), userKey };
  const data = new Uint8Array(dataBytes).fill(7);
  return {
    projectId: 1,
    event,
    grouping: { hash: "f".repeat(32), variant: "app", components: [] } as unknown as PreparedEvent["grouping"],
    data,
  };
}

const sizes = (params: ReturnType<typeof eventInsertParams>) =>
  params.map((p) => ({
    rows: new TextEncoder().encode(p.rows).byteLength,
    blob: p.blob?.byteLength ?? 0,
    count: JSON.parse(p.rows).length as number,
  }));

describe("the events' INSERT parameters", () => {
  it("put up to 100 small events in one statement, every event once, in order", () => {
    const events = Array.from({ length: 250 }, () => prepared(3_000));
    const params = eventInsertParams(events);
    expect(sizes(params).map((s) => s.count)).toEqual([100, 100, 50]);
    const ids = params.flatMap((p) => (JSON.parse(p.rows) as unknown[][]).map((r) => r[1]));
    expect(ids).toEqual(events.map((e) => e.event.eventId));
    const [first] = JSON.parse(params[0]!.rows) as unknown[][];
    expect(first![11]).toBe("07".repeat(3_000));
  });

  it("keep each statement's JSON within budget, measured on the row: large columns other than data split them", () => {
    const events = [
      prepared(100),
      prepared(100, "a".repeat(700_000)),
      prepared(100, "b".repeat(700_000)),
      prepared(100, "c".repeat(700_000)),
      prepared(100),
    ];
    for (const s of sizes(eventInsertParams(events))) expect(s.rows).toBeLessThanOrEqual(D1_PARAM_MAX);
    // A row over the budget by itself goes alone, and still fits D1's limit.
    const huge = prepared(HEX_DATA_MAX, "x".repeat(JSON_PARAM_BUDGET));
    const alone = sizes(eventInsertParams([prepared(100), huge, prepared(100)]));
    expect(alone.map((s) => s.count)).toEqual([1, 1, 1]);
    for (const s of alone) expect(s.rows).toBeLessThanOrEqual(D1_PARAM_MAX);
  });

  it("send data too large for hex alone, as a blob, with a null hex slot", () => {
    const big = prepared(HEX_DATA_MAX + 1);
    const params = eventInsertParams([prepared(10), prepared(10), big, prepared(10)]);
    expect(sizes(params).map((s) => [s.count, s.blob])).toEqual([
      [2, 0],
      [1, HEX_DATA_MAX + 1],
      [1, 0],
    ]);
    expect((JSON.parse(params[1]!.rows) as unknown[][])[0]![11]).toBeNull();
    expect(params[1]!.blob).toBe(big.data);
  });
});
