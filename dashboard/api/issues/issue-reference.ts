/**
 * How a path or a search names an issue: its numeric id, or its short id (`BACKEND-1W`: the
 * project's slug in capitals, a dash, the id in base 36; serialize-issue.ts's shortId), which is
 * what people paste from a notification or a commit message.
 */
export type IssueReference = { id: number; projectSlug: string | null };

const NUMERIC = /^\d{1,15}$/;
// A slug is lower case letters, digits, dashes and underscores; the id part is base 36.
const SHORT_ID = /^([A-Za-z0-9_-]+)-([0-9A-Za-z]{1,10})$/;

export function parseIssueReference(ref: string): IssueReference | null {
  if (NUMERIC.test(ref)) return { id: Number(ref), projectSlug: null };
  const short = SHORT_ID.exec(ref);
  if (short === null) return null;
  const id = Number.parseInt(short[2]!, 36);
  return Number.isSafeInteger(id) && id > 0 ? { id, projectSlug: short[1]!.toLowerCase() } : null;
}
