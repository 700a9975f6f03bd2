/**
 * Puts the span trees of a whole batch in R2 before the batch's D1 write, one object per project
 * of the batch rather than one per transaction (R2 bills each write; a batch holds up to 100
 * messages, mostly of a few projects). Each tree is gzip'd on its own, so the trace view reads one
 * with a ranged GET of the offset and length its `trace_items` row keeps. Keys are by project and
 * UTC day, which retention deletes by (queue-consumer/jobs/enforce-retention.ts). A batch that
 * fails to commit leaves objects no row points to; retention removes them with their day.
 */
import type { PreparedTrace } from "./prepared-trace";

/** The R2 key of a batch's span trees of one project. */
export function spanTreesKey(projectId: number, now: number, batchId: string): string {
  return `spans/${projectId}/${new Date(now).toISOString().slice(0, 10)}/${batchId}`;
}

export async function storeSpanTrees(
  traces: readonly PreparedTrace[],
  put: (key: string, bytes: Uint8Array) => Promise<void>,
  now: number,
  batchId: string = crypto.randomUUID(),
): Promise<void> {
  const byProject = new Map<number, PreparedTrace[]>();
  for (const t of traces) byProject.set(t.projectId, [...(byProject.get(t.projectId) ?? []), t]);
  await Promise.all(
    [...byProject].map(([projectId, group]) => {
      const key = spanTreesKey(projectId, now, batchId);
      const bytes = new Uint8Array(group.reduce((n, t) => n + t.tree.byteLength, 0));
      let offset = 0;
      for (const t of group) {
        bytes.set(t.tree, offset);
        t.stored = { key, offset, length: t.tree.byteLength };
        offset += t.tree.byteLength;
      }
      return put(key, bytes);
    }),
  );
}
