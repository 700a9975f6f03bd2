import type { Env } from "../protocol/env";
import { recoverPendingEvaluations } from "./alerts/evaluate-after-digest";
import { enforceRetentionOnSchedule } from "./jobs/enforce-retention";

/**
 * The hourly cron trigger: alert evaluations left pending on a project no new event came to
 * (queue-consumer/alerts/evaluate-after-digest.ts), then retention and housekeeping.
 */
export async function runScheduledJobs(controller: ScheduledController, env: Env): Promise<void> {
  try {
    const recovered = await recoverPendingEvaluations(env.DB, env.ALERTS, controller.scheduledTime);
    if (recovered > 0) console.log("alerts: lost evaluations run again", recovered);
  } catch (err) {
    // Retention must not wait on alerts: the evaluations stay pending for the next run.
    console.error("alerts: could not look for lost evaluations", err);
  }
  await enforceRetentionOnSchedule(controller, env);
}
