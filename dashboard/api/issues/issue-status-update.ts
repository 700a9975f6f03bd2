import { z } from "zod";
import { ApiError } from "../api-error";
import { validateInput } from "../validate-input";
import type { IssueLifecycle } from "./issue-queries";
import type { IssueStatus } from "./parse-issue-search";

/**
 * The body of `PUT /issues/{id}/` and the bulk `PUT /projects/{org}/{project}/issues/`
 * (https://docs.sentry.io/api/events/update-an-issue/,
 * https://docs.sentry.io/api/events/bulk-mutate-a-list-of-issues/): a status and how it ends,
 * and the assignee. Fields of Sentry's body that Faultline does not have (hasSeen,
 * isBookmarked...) are ignored; status details it cannot honour are refused by name rather than
 * silently dropped.
 */
const statusDetails = z
  .object({
    inNextRelease: z.literal(true).optional(),
    inRelease: z.string().min(1).max(200).optional(),
    ignoreCount: z.number().int().min(1).optional(),
    ignoreUntil: z.iso.datetime({ offset: true }).optional(),
    ignoreDuration: z.number().int().min(1).optional(),
    ignoreUntilEscalating: z.literal(true).optional(),
    ignoreWindow: z.never({ error: "not supported (counts are not windowed)" }).optional(),
    ignoreUserCount: z.never({ error: "not supported" }).optional(),
    ignoreUserWindow: z.never({ error: "not supported" }).optional(),
  })
  .strict();

export const issueUpdateBody = z.object({
  // "muted" is the older name of "ignored", which sentry-cli's `issues mute` still sends.
  status: z.enum(["resolved", "resolvedInNextRelease", "unresolved", "ignored", "muted"]),
  statusDetails: statusDetails.default({}),
  // The older top-level form of statusDetails.ignoreDuration, in minutes. sentry-cli sends null
  // with every status it sets: no snooze, so ignoring ignores for good and clears a snooze before.
  snoozeDuration: z.number().int().min(1).nullable().optional(),
});

export type IssueUpdateBody = z.output<typeof issueUpdateBody>;

/**
 * The body with the status optional once something else is asked: `{"assignedTo": ...}` alone
 * changes only the assignee. Sentry takes "only the attributes submitted".
 */
const issueChangesBody = issueUpdateBody.extend({
  status: issueUpdateBody.shape.status.optional(),
  // "<user id>", "user:<id>", a member's email (Faultline's username), or "" / null for nobody.
  assignedTo: z.union([z.string().max(320), z.number().int(), z.null()]).optional(),
  // Sentry's bulk merge: a boolean, which its clients send as 1 (Django REST framework's
  // BooleanField also reads "1", "true", 0...).
  merge: z
    .union([z.boolean(), z.literal(1), z.literal(0), z.enum(["1", "0", "true", "false"])])
    .transform((v) => v === true || v === 1 || v === "1" || v === "true")
    .optional(),
});

export type IssueChanges = z.output<typeof issueChangesBody>;

/**
 * Reads a PUT's body; with neither a status, an assignee nor a merge, the status is missing, as
 * before. A merge comes alone.
 */
export function parseIssueChanges(raw: unknown): IssueChanges {
  const body = validateInput(issueChangesBody, raw);
  if (body.merge === true) {
    const others = ["status", "statusDetails", "snoozeDuration", "assignedTo"].filter(
      (k) => raw !== null && typeof raw === "object" && k in raw,
    );
    if (others.length > 0) throw new ApiError(400, `merge: give it alone, not with ${others.join(", ")}`);
    return body;
  }
  if (body.status === undefined && body.assignedTo === undefined) validateInput(issueUpdateBody, raw);
  if (body.status === undefined && (Object.keys(body.statusDetails).length > 0 || body.snoozeDuration != null))
    throw new ApiError(400, `${body.snoozeDuration != null ? "snoozeDuration" : "statusDetails"}: only applies with a status`);
  return body;
}

type Details = IssueUpdateBody["statusDetails"];

const RESOLVE_FIELDS = ["inNextRelease", "inRelease"] as const;
const IGNORE_FIELDS = ["ignoreCount", "ignoreUntil", "ignoreDuration", "ignoreUntilEscalating"] as const;

/** What the body asks for, checked for combinations that contradict each other. */
export type StatusChange =
  | { status: "unresolved" }
  | { status: "resolved"; release: { kind: "none" } | { kind: "next" } | { kind: "named"; version: string } }
  | { status: "ignored"; untilCount: number | null; until: number | null; untilEscalating: boolean };

export class StatusChangeError extends Error {}

export function statusChangeOf(body: IssueUpdateBody, now: number): StatusChange {
  if (body.snoozeDuration != null && body.statusDetails.ignoreDuration !== undefined)
    throw new StatusChangeError("snoozeDuration: give snoozeDuration or statusDetails.ignoreDuration, not both");
  const details: Details = { ...body.statusDetails, ignoreDuration: body.statusDetails.ignoreDuration ?? body.snoozeDuration ?? undefined };
  const given = (fields: readonly (keyof Details)[]) => fields.filter((f) => details[f] !== undefined);
  const refuse = (field: string, why: string): never => {
    throw new StatusChangeError(`statusDetails.${field}: ${why}`);
  };
  const status: IssueStatus = body.status === "resolvedInNextRelease" ? "resolved" : body.status === "muted" ? "ignored" : body.status;
  if (status !== "resolved") for (const f of given(RESOLVE_FIELDS)) refuse(f, `only applies to status "resolved"`);
  if (status !== "ignored") for (const f of given(IGNORE_FIELDS)) refuse(f, `only applies to status "ignored"`);

  if (status === "unresolved") return { status };
  if (status === "resolved") {
    if (details.inNextRelease && details.inRelease !== undefined) refuse("inRelease", "give inRelease or inNextRelease, not both");
    if (body.status === "resolvedInNextRelease" || details.inNextRelease) return { status, release: { kind: "next" } };
    // Sentry's "latest" names the newest release, like "the next one after what is out now".
    if (details.inRelease === "latest") return { status, release: { kind: "next" } };
    if (details.inRelease !== undefined) return { status, release: { kind: "named", version: details.inRelease } };
    return { status, release: { kind: "none" } };
  }
  if (details.ignoreUntil !== undefined && details.ignoreDuration !== undefined)
    refuse("ignoreDuration", "give ignoreUntil or ignoreDuration, not both");
  const until =
    details.ignoreUntil !== undefined
      ? Date.parse(details.ignoreUntil)
      : details.ignoreDuration !== undefined
        ? now + details.ignoreDuration * 60_000
        : null;
  if (until !== null && until <= now) refuse(details.ignoreUntil !== undefined ? "ignoreUntil" : "ignoreDuration", "must be in the future");
  const untilCount = details.ignoreCount ?? null;
  if (details.ignoreUntilEscalating && (until !== null || untilCount !== null))
    refuse("ignoreUntilEscalating", "cannot be combined with a count or a date");
  return { status, untilCount, until, untilEscalating: details.ignoreUntilEscalating === true };
}

/**
 * The lifecycle columns for a change, given the release it resolves in (already looked up).
 * Substatus follows the schema's names: an issue ignored with a condition (a count, a date, or
 * until it escalates) is `until_escalating`, with none `forever`; a reopened one is `ongoing`, as
 * Sentry marks a manually unresolved issue. A resolve leaves substatus alone: the API shows none
 * for resolved issues, and the digest sets `regressed` when one comes back.
 */
export function lifecycleOf(change: StatusChange, resolvedInRelease: string | null, now: number): IssueLifecycle {
  const cleared = {
    resolvedAt: null,
    resolvedInRelease: null,
    resolvedInNextRelease: false,
    ignoredUntil: null,
    ignoredUntilCount: null,
    snapshotCountBase: false,
  };
  if (change.status === "unresolved") return { ...cleared, status: "unresolved", substatus: "ongoing" };
  if (change.status === "resolved") {
    const next = change.release.kind === "next" && resolvedInRelease !== null;
    return { ...cleared, status: "resolved", resolvedAt: now, resolvedInRelease, resolvedInNextRelease: next };
  }
  const conditional = change.untilEscalating || change.until !== null || change.untilCount !== null;
  return {
    ...cleared,
    status: "ignored",
    substatus: conditional ? "until_escalating" : "forever",
    ignoredUntil: change.until,
    ignoredUntilCount: change.untilCount,
    snapshotCountBase: change.untilCount !== null,
  };
}
