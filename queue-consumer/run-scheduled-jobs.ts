import type { Env } from "../protocol/env";
import { deliveryDepsFrom } from "./alerts/deliver-alert";
import { recoverPendingEvaluations } from "./alerts/evaluate-after-digest";
import { sendAssignmentEmails } from "./alerts/send-assignment-emails";
import { advanceRecentTransactions } from "./jobs/advance-recent-transactions";
import { checkUptimeMonitors } from "./jobs/check-uptime-monitors";
import { detectMonitorFailures } from "./jobs/detect-monitor-failures";
import { evaluateMetricAlerts } from "./jobs/evaluate-metric-alerts";
import { enforceRetentionOnSchedule } from "./jobs/enforce-retention";
import { reprocessIssues } from "./jobs/reprocess-issues";

/** The cron triggers of wrangler.toml, by what they run. */
export const EVERY_MINUTE = "* * * * *";

/**
 * The Worker's cron triggers, told apart by `controller.cron`: every minute, cron monitors' missed
 * and timed-out runs (queue-consumer/jobs/detect-monitor-failures.ts) and metric alerts
 * (queue-consumer/jobs/evaluate-metric-alerts.ts), and assignment emails
 * (queue-consumer/alerts/send-assignment-emails.ts), and issues' "Reprocess"
 * (queue-consumer/jobs/reprocess-issues.ts), and the start of the recent transaction totals
 * (queue-consumer/jobs/advance-recent-transactions.ts); every hour, alert
 * evaluations left pending on a project no new event came to
 * (queue-consumer/alerts/evaluate-after-digest.ts), then retention and housekeeping.
 */
export async function runScheduledJobs(controller: ScheduledController, env: Env): Promise<void> {
  if (controller.cron === EVERY_MINUTE) {
    // Uptime monitors' checks (queue-consumer/jobs/check-uptime-monitors.ts) wait on their
    // targets, not on D1: they run beside the rest, and their failure is theirs alone.
    const uptime = checkUptimeMonitors(env, controller.scheduledTime).then(
      (r) => (r.checked > 0 ? console.log("uptime", JSON.stringify(r)) : undefined),
      (err) => console.error("uptime: the minute job failed", err),
    );
    // Each on its own: a failure of one must not hold back the other.
    const [monitors, metrics, assignments, reprocessing, recent] = await Promise.allSettled([
      detectMonitorFailures(env, controller.scheduledTime),
      evaluateMetricAlerts(env, controller.scheduledTime),
      sendAssignmentEmails(env.DB, deliveryDepsFrom(env), controller.scheduledTime),
      reprocessIssues(env.DB, env.RAW, controller.scheduledTime),
      advanceRecentTransactions(env.DB, controller.scheduledTime),
    ]);
    if (recent.status === "rejected") console.error("recent transactions: the minute job failed", recent.reason);
    else if (recent.value.from !== recent.value.to) console.log("recent transactions", JSON.stringify(recent.value));
    if (reprocessing.status === "rejected") console.error("reprocessing: the minute job failed", reprocessing.reason);
    else if (reprocessing.value.issues > 0) console.log("reprocessing", JSON.stringify(reprocessing.value));
    if (assignments.status === "rejected") console.error("assignment emails: the minute job failed", assignments.reason);
    else if (assignments.value.sent + assignments.value.failed > 0) console.log("assignment emails", JSON.stringify(assignments.value));
    if (monitors.status === "rejected") console.error("monitors: the minute job failed", monitors.reason);
    else if (monitors.value.missed + monitors.value.timedOut > 0) console.log("monitors", JSON.stringify(monitors.value));
    if (metrics.status === "rejected") console.error("metric alerts: the minute job failed", metrics.reason);
    else if (metrics.value.crossed + metrics.value.recovered > 0) console.log("metric alerts", JSON.stringify(metrics.value));
    await uptime;
    if (monitors.status === "rejected") throw monitors.reason;
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
