/** The shapes the dashboard reads from its API (Sentry's Web API, plus Faultline's settings). */
export type Stats = Array<[number, number]>;

export interface Organization {
  id: string;
  slug: string;
  name: string;
  role: "owner" | "admin" | "member";
}

export interface CurrentUser {
  user: { id: string; email: string; name: string | null };
  organizations: Organization[];
}

export interface Project {
  id: string;
  slug: string;
  name: string;
  platform: string | null;
  dateCreated: string;
  firstEvent: string | null;
}

export interface ProjectStats {
  id: string;
  slug: string;
  stats: { "24h": Stats };
  openIssues: number;
  openIssuesCapped: boolean;
}

export interface ProjectKey {
  id: string;
  name: string;
  public: string;
  isActive: boolean;
  rateLimit: { window: number; count: number } | null;
  /** No DSN when the dashboard does not know ingest's address; `detail` says what to do. */
  dsn: { public: string } | { public: null; detail: string };
  dateCreated: string;
  allowedOrigins?: string[];
}

export interface ProjectSettings {
  id: string;
  slug: string;
  name: string;
  platform: string | null;
  dataScrubber: boolean;
  sensitiveFields: string[];
  retentionDays: number;
  /** Apdex's T, in ms. */
  apdexThreshold: number;
}

export interface Release {
  version: string;
  shortVersion: string;
}

export type IssueStatus = "unresolved" | "resolved" | "ignored";

export interface Issue {
  id: string;
  shortId: string;
  title: string;
  culprit: string;
  level: string;
  status: IssueStatus;
  statusDetails: { inRelease?: string; ignoreCount?: number | null; ignoreUntil?: string | null; ignoreUntilEscalating?: boolean };
  substatus: string | null;
  platform: string;
  project: { id: string; slug: string; name: string; platform: string | null };
  metadata: Record<string, unknown>;
  count: string;
  userCount: number;
  firstSeen: string;
  lastSeen: string;
  firstRelease: Release | null;
  lastRelease: Release | null;
  stats?: Partial<Record<"24h" | "14d" | "30d", Stats>>;
  assignedTo: Assignee | null;
  numComments: number;
}

/** Sentry's actor: who an issue is assigned to. */
export interface Assignee {
  type: "user";
  id: string;
  name: string;
  email: string;
}

/** One entry of an issue's trail (Sentry's activity); a comment is type `note` with `data.text`. */
export interface Activity {
  id: string;
  type: string;
  user: { id: string; name: string; email: string } | null;
  data: Record<string, unknown>;
  dateCreated: string | null;
}

/** An organization's member or pending invite, as the members route lists them. */
export interface Member {
  id: string;
  email: string;
  name: string;
  role: string;
  pending: boolean;
}

export interface TagSummary {
  key: string;
  name: string;
  totalValues: number;
  uniqueValues: number;
  topValues: Array<{ value: string; name: string; count: number; lastSeen: string }>;
}

export interface IssueDetails extends Issue {
  tags: TagSummary[];
  activity: Activity[];
}

export interface Frame {
  filename: string | null;
  absPath: string | null;
  module: string | null;
  package: string | null;
  function: string | null;
  context: Array<[number, string]>;
  lineNo: number | null;
  colNo: number | null;
  inApp: boolean;
  vars: Record<string, unknown> | null;
}

export interface Stacktrace {
  frames: Frame[];
  framesOmitted: unknown;
  hasSystemFrames: boolean;
}

export interface ExceptionValue {
  type: string | null;
  value: string | null;
  module: string | null;
  mechanism: { type?: string; handled?: boolean } | null;
  stacktrace: Stacktrace | null;
}

export interface Breadcrumb {
  type: string;
  category: string | null;
  level: string;
  message: string | null;
  data: unknown;
  timestamp: string | null;
}

export interface RequestEntry {
  url: string | null;
  method: string | null;
  query: unknown;
  fragment: string | null;
  data: unknown;
  headers: unknown;
  cookies: unknown;
  env: Record<string, unknown> | null;
}

export type Entry =
  | { type: "exception"; data: { values: ExceptionValue[] } }
  | { type: "message"; data: { formatted: string | null; message: string | null } }
  | { type: "stacktrace"; data: Stacktrace }
  | {
      type: "threads";
      data: { values: Array<{ id: unknown; name: string | null; crashed: boolean; current: boolean; stacktrace: Stacktrace | null }> };
    }
  | { type: "breadcrumbs"; data: { values: Breadcrumb[] } }
  | { type: "request"; data: RequestEntry }
  | { type: string; data: unknown };

export interface EventError {
  type: string;
  message: string;
  data: Record<string, unknown>;
}

export interface Event {
  id: string;
  eventID: string;
  groupID: string;
  title: string;
  message: string;
  culprit: string;
  platform: string | null;
  dateCreated: string;
  dateReceived: string;
  user: {
    id: string | null;
    email: string | null;
    username: string | null;
    ip_address: string | null;
    name: string | null;
    geo: unknown;
    data: unknown;
  } | null;
  tags: Array<{ key: string; value: string }>;
  entries: Entry[];
  contexts: Record<string, unknown>;
  context: Record<string, unknown>;
  /** What processing could not do (source maps not found...), as Sentry's event API lists it. */
  errors?: EventError[];
  sdk: { name: string | null; version: string | null } | null;
  release: Release | null;
  environment: string | null;
  previousEventID: string | null;
  nextEventID: string | null;
}
