// zod/mini, like the rest of the Worker bundle.
import * as z from "zod/mini";

const ids = z.array(z.number().check(z.int()));

/**
 * What travels on the `alerts` queue. `deliver`: send one delivery (a row of alert_deliveries) to
 * its target; `projectId` lets the dead-letter log say whose it was. `evaluate`: an evaluation of
 * the alert rules that could not run right after its digest batch, carried with its id and clock
 * so that running it again fires exactly what the first run would have.
 */
export const alertQueueMessageSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("deliver"), deliveryId: z.number().check(z.int()), projectId: z.number().check(z.int()) }),
  z.object({
    kind: z.literal("evaluate"),
    evaluationId: z.string(),
    now: z.number(),
    newIssueIds: ids,
    regressedIssueIds: ids,
    escalatedIssueIds: ids,
    touchedIssueIds: ids,
    /** The digest runs that recorded this evaluation as pending: cleared once it is done. */
    pendingRuns: z.optional(z.array(z.string())),
    /** When its firings count as sent for the throttle, if not `now` (an evaluation run again late). */
    firedAt: z.optional(z.number()),
  }),
]);

export type AlertQueueMessage = z.infer<typeof alertQueueMessageSchema>;
export type DeliverMessage = Extract<AlertQueueMessage, { kind: "deliver" }>;
export type EvaluateMessage = Extract<AlertQueueMessage, { kind: "evaluate" }>;
