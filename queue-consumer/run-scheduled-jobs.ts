import type { Env } from "../protocol/env";
import { recoverPendingEvaluations } from "./alerts/evaluate-after-digest";
import { detectMonitorFailures } from "./jobs/detect-monitor-failures";
import { enforceRetentionOnSchedule } from "./jobs/enforce-retention";

/** The cron triggers of wrangler.toml, by what they run. */
export const EVERY_MINUTE = "* * * * *";

/**
 * The Worker's cron triggers, told apart by `controller.cron`: every minute, cron monitors' missed
 * and timed-out runs (queue-consumer/jobs/detect-monitor-failures.ts); every hour, alert
 * evaluations left pending on a project no new event came to
 * (queue-consumer/alerts/evaluate-after-digest.ts), then retention and housekeeping.
 */
export async function runScheduledJobs(controller: ScheduledController, env: Env): Promise<void> {
  if (controller.cron === EVERY_MINUTE) {
    const found = await detectMonitorFailures(env, controller.scheduledTime);
    if (found.missed + found.timedOut > 0) console.log("monitors", JSON.stringify(found));
    return;
  }
  try {
    const recovered = await recoverPendingEvaluations(env.DB, env.ALERTS, controller.scheduledTime);
    if (recovered > 0) console.log("alerts: lost evaluations run again", recovered);
  } catch (err) {
    // Retention must not wait on alerts: the evaluations stay pending for the next run.
    console.error("alerts: could not look for lost evaluations", err);
  }
  await enforceRetentionOnSchedule(controller, env);
}
