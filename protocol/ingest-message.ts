// zod/mini: the same validation as zod's classic API at a fraction of the bundle size, which the
// Worker pays for at every cold start on the ingest path.
import * as z from "zod/mini";

/**
 * What ingest puts on the `events` queue: one message per accepted request. Sent with
 * contentType "v8" so the body stays bytes (JSON would turn a Uint8Array into `{}`).
 */
export const ingestMessageSchema = z
  .object({
    v: z.literal(1),
    kind: z.enum(["envelope", "store"]),
    projectId: z.number().check(z.int(), z.positive()),
    keyId: z.number().check(z.int()),
    receivedAt: z.number(),
    clientIp: z.nullable(z.string()),
    userAgent: z.nullable(z.string()),
    eventId: z.nullable(z.string()),
    size: z.number().check(z.int(), z.nonnegative()),
    body: z.optional(z.instanceof(Uint8Array)),
    /** R2 key of the body when it was too large to travel in the message (Queues' 128 KB limit). */
    bodyKey: z.optional(z.string()),
  })
  .check(z.refine((m) => (m.body === undefined) !== (m.bodyKey === undefined), { message: "exactly one of body and bodyKey" }));

export type IngestMessage = z.infer<typeof ingestMessageSchema>;
