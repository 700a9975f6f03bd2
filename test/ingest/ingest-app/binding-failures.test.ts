import { describe, expect, it } from "vitest";
import { seedProject } from "../../support/seed";
import { envelopeUrl, callApp, recordingQueue, smallEvent } from "../../support/ingest-requests";

describe("when a binding fails", () => {
  it("answers 503 with Retry-After when the queue refuses the message (a Queues outage), never 200", async () => {
    const key = await seedProject();
    const down = { send: async () => Promise.reject(new Error("queue unavailable")) } as unknown as Queue;
    const { res, status, json } = await callApp(envelopeUrl(key), { body: smallEvent }, { EVENTS: down });
    expect(status).toBe(503);
    expect(typeof json.detail).toBe("string");
    expect(json.reason).toBe("unavailable");
    // Short: a JavaScript SDK sends nothing at all for as long as a Retry-After says, on any status.
    expect(res.headers.get("retry-after")).toBe("5");
  });

  it("an event refused with 503 does not use up the key's rate limit: its retry is accepted", async () => {
    const key = await seedProject({ rateLimitPerMinute: 1 });
    const down = { send: async () => Promise.reject(new Error("queue unavailable")) } as unknown as Queue;
    expect((await callApp(envelopeUrl(key), { body: smallEvent }, { EVENTS: down })).status).toBe(503);
    expect((await callApp(envelopeUrl(key), { body: smallEvent }, { EVENTS: recordingQueue().queue })).status).toBe(200);
  });

  it("answers 503 with Retry-After, not 500, when D1 cannot look the key up", async () => {
    const key = await seedProject();
    const down = {
      prepare() {
        throw new Error("D1_ERROR: no such database");
      },
    } as unknown as D1Database;
    const { res, status, json } = await callApp(envelopeUrl(key), { body: smallEvent }, { DB: down });
    expect(status).toBe(503);
    expect(typeof json.detail).toBe("string");
    expect(res.headers.get("retry-after")).toBe("5");
  });

  it("answers only after the queue has taken the message", async () => {
    const key = await seedProject();
    let sendStarted!: () => void;
    let finishSend!: () => void;
    const started = new Promise<void>((resolve) => {
      sendStarted = resolve;
    });
    const finished = new Promise<void>((resolve) => {
      finishSend = resolve;
    });
    const slow = {
      send: async () => {
        sendStarted();
        await finished;
      },
    } as unknown as Queue;
    let answered = false;
    const response = callApp(envelopeUrl(key), { body: smallEvent }, { EVENTS: slow }).then((r) => {
      answered = true;
      return r;
    });
    await started;
    // Time for an answer that did not wait for the send to arrive.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(answered).toBe(false);
    finishSend();
    expect((await response).status).toBe(200);
  });
});
