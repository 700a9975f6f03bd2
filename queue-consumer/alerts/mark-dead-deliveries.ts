import { alertQueueMessageSchema } from "../../protocol/alert-queue-message";

/**
 * Consumer of `alerts-dlq`, before the dead letters are recorded: a delivery whose message used
 * up its retries is marked failed, with the last error its attempts logged, so the delivery log
 * never shows it as still on its way.
 */
export async function markDeadDeliveries(batch: MessageBatch<unknown>, d1: D1Database, now = Date.now()): Promise<void> {
  const ids = batch.messages.flatMap((message) => {
    const parsed = alertQueueMessageSchema.safeParse(message.body);
    return parsed.success && parsed.data.kind === "deliver" ? [parsed.data.deliveryId] : [];
  });
  if (ids.length === 0) return;
  await d1
    .prepare(
      `UPDATE alert_deliveries SET status = 'failed', lease_until = NULL, updated_at = ?2,
         last_error = coalesce(last_error, 'no attempt succeeded') || ' (retries exhausted)'
       WHERE id IN (SELECT value FROM json_each(?1)) AND status NOT IN ('sent', 'failed')`,
    )
    .bind(JSON.stringify(ids), now)
    .run();
}
