import { z } from "zod";

/**
 * What ingest puts on the `events` queue: one message per accepted request. Sent with
 * contentType "v8" so the body stays bytes (JSON would turn a Uint8Array into `{}`).
 */
export const ingestMessageSchema = z
  .object({
    v: z.literal(1),
    kind: z.enum(["envelope", "store"]),
    projectId: z.number().int().positive(),
    keyId: z.number().int(),
    receivedAt: z.number(),
    clientIp: z.string().nullable(),
    userAgent: z.string().nullable(),
    eventId: z.string().nullable(),
    size: z.number().int().nonnegative(),
    body: z.instanceof(Uint8Array).optional(),
    /** R2 key of the body when it was too large to travel in the message (Queues' 128 KB limit). */
    bodyKey: z.string().optional(),
  })
  .refine((m) => (m.body === undefined) !== (m.bodyKey === undefined), { message: "exactly one of body and bodyKey" });

export type IngestMessage = z.infer<typeof ingestMessageSchema>;
