import { describe, expect, it } from "vitest";
import { emptyMonitorDraft, monitorBody, monitorDraftOf } from "../../dashboard/src/monitor-draft";
import { readApiMonitorConfig } from "../../protocol/monitor-config";

describe("the monitor form's draft", () => {
  it("reads a monitor and gives back the same configuration, which the API reads", () => {
    const config = {
      schedule_type: "interval" as const,
      schedule: [6, "hour"] as [number, string],
      checkin_margin: 5,
      max_runtime: 90,
      timezone: "Europe/Paris",
      failure_issue_threshold: 2,
      recovery_threshold: 3,
    };
    const body = monitorBody(monitorDraftOf({ name: "Nightly backup", status: "disabled", project: { id: "4" }, config }), false);
    expect(body).toEqual({ name: "Nightly backup", status: "disabled", config });
    const read = readApiMonitorConfig(body.config);
    expect(read.ok && read.config).toEqual(config);
  });

  it("starts as an hourly crontab, and sends what was typed when it is not a number", () => {
    const draft = { ...emptyMonitorDraft("2"), name: " Sync ", margin: "five" };
    expect(monitorBody(draft, true)).toMatchObject({
      project: "2",
      name: "Sync",
      status: "active",
      config: { schedule_type: "crontab", schedule: "0 * * * *", checkin_margin: "five" },
    });
    const read = readApiMonitorConfig(monitorBody(draft, true).config);
    expect(read.ok).toBe(false);
  });
});
