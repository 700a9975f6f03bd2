import type { DrizzleD1Database } from "drizzle-orm/d1";
import { badRequest } from "../api-error";
import { type AssigneeCondition, type AssigneeRow, findMembers } from "./issue-queries";
import type { AssigneeFilter } from "./parse-issue-search";

/**
 * Who an issue is assigned to. Sentry's `assignedTo` (https://docs.sentry.io/api/events/update-an-issue/:
 * "the actor id (or username) of the user or team") takes `<user id>`, `user:<id>`, a username,
 * an email or `team:<id>`. Faultline's people log in with their email, which is their username
 * here, and issues go to members, not teams. Only members of the organization can be
 * assigned; anyone else, whether or not they have an account, gets the same answer, so the
 * refusal tells nothing about other organizations.
 */
export type AssigneeChoice = { kind: "nobody" } | { kind: "member"; userId: number } | { kind: "member"; email: string };

// Sentry's wording: its ActorField for input it cannot read, its GroupValidator for a non-member.
export const UNKNOWN_ACTOR = "assignedTo: Unknown actor input";
export const NOT_A_MEMBER = "assignedTo: Cannot assign to non-team member";

const USER_ID = /^(?:user:)?(\d{1,15})$/;

export function parseAssignee(value: string | number | null): AssigneeChoice {
  if (value === null || value === "") return { kind: "nobody" };
  if (typeof value === "number")
    return Number.isSafeInteger(value) && value > 0 ? { kind: "member", userId: value } : badRequest(UNKNOWN_ACTOR);
  const ref = memberRef(value);
  if (ref !== null) return ref;
  if (/^team:/i.test(value.trim())) badRequest("assignedTo: Cannot assign to a team: Faultline assigns issues to members");
  return badRequest(UNKNOWN_ACTOR);
}

/** A user id or an email (a username is one here); null for anything else. */
function memberRef(value: string): AssigneeChoice | null {
  const text = value.trim();
  const id = USER_ID.exec(text);
  if (id !== null) return { kind: "member", userId: Number(id[1]) };
  if (/^[^\s@:]+@[^\s@]+$/.test(text) && text.length <= 254) return { kind: "member", email: text };
  return null;
}

/** The member a choice names in the organization, or null for nobody; a 400 for anyone else. */
export async function resolveAssignee(db: DrizzleD1Database, organizationId: number, choice: AssigneeChoice): Promise<AssigneeRow | null> {
  if (choice.kind === "nobody") return null;
  const [member] = await findMembers(
    db,
    organizationId,
    "userId" in choice ? { userIds: [choice.userId], emails: [] } : { userIds: [], emails: [choice.email] },
  );
  return member ?? badRequest(NOT_A_MEMBER);
}

/**
 * A search's assignee filters with their members looked up in the organization: `me` is the
 * caller (nobody for a token that belongs to no one), and a value that is no member of it
 * matches no issue.
 */
export async function resolveAssigneeFilters(
  db: DrizzleD1Database,
  organizationId: number,
  me: number | null,
  filters: readonly AssigneeFilter[],
): Promise<AssigneeCondition[]> {
  if (filters.length === 0) return [];
  const refs = filters.flatMap((f) => f.values.flatMap((v) => (v.kind === "member" ? [memberRef(v.ref)] : []))).filter((r) => r !== null);
  const members = await findMembers(db, organizationId, {
    userIds: refs.flatMap((r) => ("userId" in r ? [r.userId] : [])),
    emails: refs.flatMap((r) => ("email" in r ? [r.email] : [])),
  });
  const idOf = (ref: string): number[] => {
    const parsed = memberRef(ref);
    if (parsed === null || parsed.kind !== "member") return [];
    const found = members.find((m) => ("userId" in parsed ? m.id === parsed.userId : m.email.toLowerCase() === parsed.email.toLowerCase()));
    return found === undefined ? [] : [found.id];
  };
  return filters.map((f) => ({
    userIds: [...new Set(f.values.flatMap((v) => (v.kind === "me" ? (me === null ? [] : [me]) : v.kind === "member" ? idOf(v.ref) : [])))],
    nobody: f.values.some((v) => v.kind === "none"),
    negated: f.negated,
  }));
}
