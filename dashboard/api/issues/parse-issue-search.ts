import { ApiError } from "../api-error";

/**
 * The issue stream's search syntax, the subset of Sentry's
 * (https://docs.sentry.io/concepts/search/) that Faultline can answer from an index:
 *
 *   is:unresolved | is:resolved | is:ignored (is:archived is Sentry's newer name for it)
 *   is:assigned | is:unassigned   assigned:me | assigned:<member email> | assigned:user:<id> | assigned:none
 *   level:error   release:1.2.0   environment:production   <any tag>:<value>
 *   firstRelease:1.2.0 (first seen in it; first-release: too)
 *   key:"quoted value"   key:[a, b, "c d"] (any of)   !key:value (none of)
 *   anything else: text matched, case-insensitively, anywhere in the title or culprit
 *
 * Filters are ANDed. Free-text words are joined into one phrase, as Sentry does.
 */
export type IssueStatus = "unresolved" | "resolved" | "ignored";
export const ISSUE_STATUSES: readonly IssueStatus[] = ["unresolved", "resolved", "ignored"];

export interface ValueFilter {
  values: string[];
  negated: boolean;
}

export interface TagFilter extends ValueFilter {
  key: string;
}

/** Who an `assigned:` value names: the caller, nobody, or a member by email or id (the route resolves it). */
export type AssigneeRef = { kind: "me" } | { kind: "none" } | { kind: "member"; ref: string };

/** Issues assigned to any of `values` (none of them when negated). */
export interface AssigneeFilter {
  values: AssigneeRef[];
  negated: boolean;
}

export interface IssueSearch {
  /** The statuses an issue may have; all three when the query says nothing about status. */
  statuses: Set<IssueStatus>;
  /** `assigned:`, `is:assigned` and `is:unassigned`, found through issues_by_assignee. */
  assignees: AssigneeFilter[];
  levels: ValueFilter[];
  /** `firstRelease:`, the version an issue was first seen in (issues_by_first_release). */
  firstReleases: ValueFilter[];
  /** `environment:`, `release:` and any other tag, found through issue_tags. */
  tags: TagFilter[];
  text: string | null;
}

// Sentry's key for the release an issue was first seen in, and its older spelling.
const FIRST_RELEASE_KEYS = new Set(["firstRelease", "first-release"]);

// Sentry's is: values for assignment (https://docs.sentry.io/concepts/search/searchable-properties/issues/).
const ASSIGNMENT_VALUES = new Set(["assigned", "unassigned"]);

const STATUS_ALIASES: Record<string, IssueStatus> = {
  unresolved: "unresolved",
  resolved: "resolved",
  ignored: "ignored",
  archived: "ignored",
};

// Each tag filter is one subquery with bound values; D1 allows 100 bound parameters per statement.
const MAX_FILTERS = 12;
const MAX_LIST_VALUES = 20;
const MAX_QUERY_CHARS = 1000;

// key:value, where the value is "quoted", a [list], or a bare run of non-space characters.
const TOKEN = /(!?)([A-Za-z0-9_.-]+):("(?:[^"\\]|\\.)*"|\[[^\]]*\]|\S*)|"((?:[^"\\]|\\.)*)"?|(\S+)/g;

export function parseIssueSearch(query: string): IssueSearch {
  if (query.length > MAX_QUERY_CHARS) throw new ApiError(400, `query: longer than ${MAX_QUERY_CHARS} characters`);
  const search: IssueSearch = { statuses: new Set(ISSUE_STATUSES), assignees: [], levels: [], firstReleases: [], tags: [], text: null };
  const words: string[] = [];
  let filters = 0;
  for (const match of query.matchAll(TOKEN)) {
    const [, bang, key, rawValue, quotedText, word] = match;
    if (key === undefined) {
      const text = quotedText !== undefined ? unescape(quotedText) : word;
      if (text !== undefined && text !== "") words.push(text);
      continue;
    }
    // "TypeError: Cannot read" is text, not a filter on a tag named TypeError.
    if (rawValue === "") {
      words.push(`${bang}${key}:`);
      continue;
    }
    if (++filters > MAX_FILTERS) throw new ApiError(400, `query: at most ${MAX_FILTERS} filters`);
    const values = filterValues(key, rawValue!);
    const negated = bang === "!";
    if (key === "is" && values.some((v) => ASSIGNMENT_VALUES.has(v.toLowerCase())))
      search.assignees.push(assignmentFilter(values, negated));
    else if (key === "is") applyStatus(search.statuses, values, negated);
    else if (key === "assigned") search.assignees.push({ values: values.map(assigneeRef), negated });
    else if (key === "level") search.levels.push({ values: values.map((v) => v.toLowerCase()), negated });
    else if (FIRST_RELEASE_KEYS.has(key)) search.firstReleases.push({ values, negated });
    else search.tags.push({ key, values, negated });
  }
  search.text = words.length > 0 ? words.join(" ") : null;
  return search;
}

function filterValues(key: string, raw: string): string[] {
  let values: string[];
  if (raw.startsWith("[")) {
    values = [...raw.slice(1, -1).matchAll(/\s*("(?:[^"\\]|\\.)*"|[^,]*)\s*(?:,|$)/g)]
      .map((m) => valueText(m[1]!.trim()))
      .filter((v) => v !== "");
    if (values.length > MAX_LIST_VALUES) throw new ApiError(400, `query: ${key}: at most ${MAX_LIST_VALUES} values`);
  } else {
    values = [valueText(raw)].filter((v) => v !== "");
  }
  if (values.length === 0) throw new ApiError(400, `query: ${key}: needs a value`);
  return values;
}

function valueText(raw: string): string {
  return raw.startsWith('"') && raw.endsWith('"') && raw.length >= 2 ? unescape(raw.slice(1, -1)) : raw;
}

function unescape(text: string): string {
  return text.replace(/\\(.)/g, "$1");
}

function applyStatus(statuses: Set<IssueStatus>, values: string[], negated: boolean): void {
  const named = new Set<IssueStatus>();
  for (const value of values) {
    const status = STATUS_ALIASES[value.toLowerCase()];
    if (status === undefined)
      throw new ApiError(400, `query: is:${value} is not supported (use unresolved, resolved, ignored, assigned or unassigned)`);
    named.add(status);
  }
  for (const status of ISSUE_STATUSES) {
    if (named.has(status) === negated) statuses.delete(status);
  }
}

/** `is:assigned` is "assigned to someone", `is:unassigned` "to nobody"; neither mixes with a status in one list. */
function assignmentFilter(values: string[], negated: boolean): AssigneeFilter {
  const named = new Set(values.map((v) => v.toLowerCase()));
  if (![...named].every((v) => ASSIGNMENT_VALUES.has(v)))
    throw new ApiError(400, "query: is:[...] cannot list a status with assigned or unassigned; give them separately");
  // is:[assigned, unassigned] holds for every issue: "assigned to none of no one".
  if (named.size === 2) return { values: [], negated: !negated };
  return { values: [{ kind: "none" }], negated: named.has("assigned") !== negated };
}

function assigneeRef(value: string): AssigneeRef {
  const lower = value.toLowerCase();
  if (lower === "me") return { kind: "me" };
  if (lower === "none") return { kind: "none" };
  return { kind: "member", ref: value };
}
