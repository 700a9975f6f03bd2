import type { IngestMessage } from "../../protocol/ingest-message";

export class MissingBodyError extends Error {
  override name = "MissingBodyError";
}

/** The request body a message carries inline, or the one ingest wrote to R2 before enqueueing. */
export async function loadBody(message: IngestMessage, bucket: R2Bucket): Promise<Uint8Array> {
  if (message.body) return message.body;
  const object = message.bodyKey ? await bucket.get(message.bodyKey) : null;
  if (!object) throw new MissingBodyError(`body ${message.bodyKey ?? "(none)"} is missing from R2`);
  return new Uint8Array(await object.arrayBuffer());
}
