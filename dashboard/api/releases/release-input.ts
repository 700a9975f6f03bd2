import { z } from "zod";

/**
 * What clients send to the release routes, as sentry-cli sends it (src/api/mod.rs: NewRelease,
 * UpdatedRelease, Ref, GitCommit; src/api/data_types/deploy.rs: Deploy), checked the way Sentry
 * checks it (https://docs.sentry.io/api/releases/). Fields Sentry ignores are ignored here too.
 */

/** Sentry's MAX_VERSION_LENGTH, in characters. */
export const MAX_VERSION_LENGTH = 200;
/** Sentry's MAX_COMMIT_LENGTH: a SHA-256 commit id in hex. */
const MAX_COMMIT_LENGTH = 64;
/**
 * Commits one request may set. sentry-cli sends 20 by default (`--initial-depth`) and after that
 * only those since the previous release's last commit (`previous-with-commits`).
 */
export const MAX_COMMITS = 1000;
/** Longer messages are kept cut: a commit's subject and body, not a patch. */
const MAX_COMMIT_MESSAGE = 10_000;
const MAX_PROJECTS = 100;

/**
 * Sentry's release version rules (Release.is_valid_version and constants.BAD_RELEASE_CHARS): no
 * newline, tab, form feed or slash of either kind, not `.`, `..` or `latest`, not only
 * whitespace, at most 200 characters. Every other control character is refused too. Versions
 * are kept trimmed, as the digest keeps the release events name (normalize-event.ts), so the
 * release sentry-cli creates and the one events name are the same.
 */
export function versionProblem(raw: string): string | null {
  const version = raw.trim();
  if (version === "") return "a release version cannot be empty or only whitespace";
  if ([...version].length > MAX_VERSION_LENGTH) return `a release version has at most ${MAX_VERSION_LENGTH} characters`;
  if (/[\u0000-\u001f\u007f/\\]/.test(version))
    return `Release with name ${JSON.stringify(version)} is not allowed: no control characters or slashes`;
  if (version === "." || version === ".." || version.toLowerCase() === "latest")
    return `Release with name ${JSON.stringify(version)} is not allowed: ".", ".." and "latest" are reserved`;
  return null;
}

export const versionSchema = z
  .string()
  .superRefine((value, ctx) => {
    const problem = versionProblem(value);
    if (problem !== null) ctx.addIssue({ code: "custom", message: problem });
  })
  .transform((value) => value.trim());

// 1970-01-01 and 10000-01-01: what ISO 8601's four-digit years write, and no earlier than the
// digest keeps event times (a date outside is a client's mistake, answered 400).
const FIRST_MS = 0;
const END_MS = 253_402_300_800_000;
const ISO_DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?$/i;

/**
 * An ISO 8601 date-time as DRF's DateTimeField takes it (sentry-cli sends RFC 3339 with
 * nanoseconds), in ms; null when it is not one or names no real day. Without an offset it is UTC.
 */
export function parseDateTime(text: string): number | null {
  const match = ISO_DATE_TIME.exec(text.trim());
  if (match === null) return null;
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map((part) => Number(part ?? 0)) as number[];
  const daysInMonth = new Date(Date.UTC(year!, month!, 0)).getUTCDate();
  if (month! < 1 || month! > 12 || day! < 1 || day! > daysInMonth || hour! > 23 || minute! > 59 || second! > 59) return null;
  const fraction = match[7] ?? "";
  const offset = match[8] ?? "Z";
  const normalized = `${match[1]}-${match[2]}-${match[3]}T${match[4]}:${match[5]}:${match[6] ?? "00"}${fraction.slice(0, 4)}${offset.toUpperCase()}`;
  const ms = Date.parse(normalized.replace(/([+-]\d{2})(\d{2})$/, "$1:$2"));
  return Number.isFinite(ms) && ms >= FIRST_MS && ms < END_MS ? ms : null;
}

const dateTime = z.string().transform((value, ctx) => {
  const ms = parseDateTime(value);
  if (ms === null) {
    ctx.addIssue({ code: "custom", message: "an ISO 8601 date and time between 1970 and 9999" });
    return z.NEVER;
  }
  return ms;
});

/** A URL or nothing: Sentry's URLField, which allows null and blank. */
const optionalUrl = z
  .union([z.literal(""), z.null(), z.url({ protocol: /^https?$/, error: "an http or https URL" }).max(2000)])
  .optional()
  .transform((value) => (value === "" ? null : value));

/** A project by id (sentry-cli sends an all-digit reference as a number) or slug. */
const projectRefs = z.array(z.union([z.number().int().nonnegative(), z.string().min(1).max(100)])).max(MAX_PROJECTS);

const commit = z.object({
  id: z.string().trim().min(1).max(MAX_COMMIT_LENGTH),
  repository: z.string().trim().max(200).nullish(),
  message: z.string().nullish(),
  author_name: z.string().nullish(),
  author_email: z.string().nullish(),
  timestamp: dateTime.nullish(),
});

const ref = z
  .object({
    repository: z.string().trim().min(1).max(200),
    // Sentry allows a range, `previous..commit`, here.
    commit: z
      .string()
      .trim()
      .min(1)
      .max(2 * MAX_COMMIT_LENGTH + 2),
    previousCommit: z.string().trim().max(MAX_COMMIT_LENGTH).nullish(),
  })
  .transform((r, ctx) => {
    let head = r.commit;
    let previous = r.previousCommit || null;
    if (head.includes("..")) {
      const parts = head.split("..");
      if (parts.length !== 2 || !parts[0] || !parts[1]) {
        ctx.addIssue({ code: "custom", message: "a commit range is previous..commit" });
        return z.NEVER;
      }
      [previous, head] = parts as [string, string];
    }
    if (head.length > MAX_COMMIT_LENGTH || (previous ?? "").length > MAX_COMMIT_LENGTH) {
      ctx.addIssue({ code: "custom", message: `a commit id has at most ${MAX_COMMIT_LENGTH} characters` });
      return z.NEVER;
    }
    return { repository: r.repository, commit: head, previousCommit: previous };
  });

export interface CommitInput {
  id: string;
  repository: string | null;
  message: string | null;
  authorName: string | null;
  authorEmail: string | null;
  timestamp: number | null;
  previousCommitId: string | null;
}

/** What a release's commits become: the commits as sent, or each ref's head commit. */
const commitChanges = {
  commits: z.array(commit).max(MAX_COMMITS, `at most ${MAX_COMMITS} commits`).optional(),
  refs: z.array(ref).max(MAX_PROJECTS).optional(),
};

const releaseFields = {
  ref: z.string().max(MAX_VERSION_LENGTH).nullish(),
  url: optionalUrl,
  dateStarted: dateTime.nullish(),
  dateReleased: dateTime.nullish(),
  status: z.enum(["open", "archived"]).optional(),
  ...commitChanges,
};

/** `POST /organizations/{org}/releases/` (and the project route, whose project is its path's). */
export const newReleaseBody = z.object({ version: versionSchema, projects: projectRefs, ...releaseFields });
export const newProjectReleaseBody = z.object({ version: versionSchema, ...releaseFields });
/** `PUT .../releases/{version}/`: finalizing is a PUT of `dateReleased`; set-commits one of `refs` or `commits`. */
export const releaseUpdateBody = z.object(releaseFields);

export type NewReleaseInput = z.output<typeof newProjectReleaseBody> & { projects?: Array<number | string> };
export type ReleaseUpdateInput = z.output<typeof releaseUpdateBody>;

/** The commits a create or update sets, newest first as Sentry keeps them; undefined when it sets none. */
export function commitsOf(input: ReleaseUpdateInput): CommitInput[] | undefined {
  if (input.commits !== undefined) {
    const sorted = [...input.commits].sort((a, b) => (b.timestamp ?? 0) - (a.timestamp ?? 0));
    const seen = new Set<string>();
    return sorted.flatMap((c) => {
      const key = `${c.repository ?? ""}\u0000${c.id}`;
      if (seen.has(key)) return [];
      seen.add(key);
      return [
        {
          id: c.id,
          repository: c.repository || null,
          message: c.message == null ? null : c.message.slice(0, MAX_COMMIT_MESSAGE),
          authorName: c.author_name ? c.author_name.slice(0, 256) : null,
          authorEmail: c.author_email ? c.author_email.slice(0, 256) : null,
          timestamp: c.timestamp ?? null,
          previousCommitId: null,
        },
      ];
    });
  }
  if (input.refs !== undefined) {
    return input.refs.map((r) => ({
      id: r.commit,
      repository: r.repository,
      message: null,
      authorName: null,
      authorEmail: null,
      timestamp: null,
      previousCommitId: r.previousCommit,
    }));
  }
  return undefined;
}

/**
 * Sentry's environment name rules, which the digest applies to events' environments too: no
 * whitespace or slash, not "None", at most 64 characters
 * (https://docs.sentry.io/concepts/key-terms/environments/).
 */
const environmentName = z
  .string()
  .min(1)
  .max(64)
  .refine(
    (name) => !/[\s/\u0000-\u001f\u007f]/.test(name) && name !== "None",
    "an environment name has no whitespace or slash and is not None",
  );

/** `POST .../releases/{version}/deploys/`; a deploy that does not say when it finished finished now, as in Sentry. */
export const newDeployBody = z.object({
  environment: environmentName,
  name: z.string().max(64).nullish(),
  url: optionalUrl,
  dateStarted: dateTime.nullish(),
  dateFinished: dateTime.nullish(),
  projects: z.array(z.string().min(1).max(100)).max(MAX_PROJECTS).nullish(),
});

/** `?per_page=`: Sentry's page size, 100 at most and by default. */
export const pageSize = z.coerce.number().int().min(1).max(100).default(100);
