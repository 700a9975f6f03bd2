/**
 * Discover's fields over transactions (https://docs.sentry.io/product/explore/discover-queries/query-builder/query-equations/,
 * https://docs.sentry.io/product/insights/overview/metrics/), each answered from the merged
 * rollups of a group: counts and sums add up, percentiles come from the merged duration sketch
 * (protocol/duration-sketch.ts, within 1%). Durations are milliseconds, as Sentry's are.
 *
 *   transaction, transaction.op, project, project.id, environment, release   (group by)
 *   count(), failure_count(), failure_rate(), apdex(), tpm(), epm()
 *   p50() p75() p90() p95() p99() p100() avg() sum() min() max(), each also of
 *   (transaction.duration) or of a Web Vital: (measurements.lcp|fcp|cls|inp|ttfb)
 */
import { type Sketch, parseSketch, sketchQuantile } from "../../../protocol/duration-sketch";
import { WEB_VITALS, type WebVital, isWebVital } from "../../../protocol/web-vitals";
import { badRequest } from "../api-error";

export interface RollupRow {
  projectId: number;
  hour: number;
  name: string;
  op: string;
  environment: string;
  release: string;
  count: number;
  failures: number;
  satisfied: number;
  tolerated: number;
  durationSum: number;
  slowestMs: number;
  sketch: string | null;
  /**
   * -1 for hourly rows taken out of transaction_recent_rollups' totals (the hours they hold
   * outside the window); 1 or absent for rows added.
   */
  sign?: number;
}

export interface VitalRow {
  projectId: number;
  hour: number;
  name: string;
  op: string;
  environment: string;
  release: string;
  vital: string;
  count: number;
  valueSum: number;
  sketch: string | null;
}

/** A key's rows of a window added up (transaction-queries.ts's transactionTotals): no hour, no sketch. */
export type RollupTotals = Omit<RollupRow, "hour" | "sketch" | "sign">;

/** What a group is keyed by: the key columns every rollup row has. */
export type GroupKey = Pick<RollupRow, "projectId" | "name" | "op" | "environment" | "release">;

interface Distribution {
  count: number;
  sum: number;
  max: number;
  /** Bucket counts (protocol/duration-sketch.ts's Sketch as a Map, which adds up several times faster). */
  sketch: Map<string, number>;
}

/** mergeSketchInto on a Map: adds a stored sketch's buckets (or takes them out), dropping any left empty. */
function mergeStoredSketch(into: Map<string, number>, text: string, sign: number): void {
  mergeSketch(into, parseSketch(text), sign);
}

function mergeSketch(into: Map<string, number>, from: Sketch, sign: number): void {
  for (const key in from) {
    const count = from[key];
    if (typeof count !== "number" || !Number.isFinite(count) || count <= 0) continue;
    const n = (into.get(key) ?? 0) + sign * count;
    if (n === 0) into.delete(key);
    else into.set(key, n);
  }
}

/** A group's rollups, added up. */
export class TransactionAggregate {
  count = 0;
  failures = 0;
  satisfied = 0;
  tolerated = 0;
  readonly duration: Distribution = { count: 0, sum: 0, max: 0, sketch: new Map() };
  readonly vitals = new Map<WebVital, Distribution>();

  /** Adds a row, or takes it out again when its `sign` is -1 (counts and sketches add up either way). */
  add(row: RollupTotals & { sketch?: string | null; sign?: number }): void {
    const sign = row.sign ?? 1;
    this.count += sign * row.count;
    this.failures += sign * row.failures;
    this.satisfied += sign * row.satisfied;
    this.tolerated += sign * row.tolerated;
    this.duration.count += sign * row.count;
    this.duration.sum += sign * row.durationSum;
    // A maximum cannot be taken out: fields that need it never read signed rows (needsSlowest).
    if (sign > 0) this.duration.max = Math.max(this.duration.max, row.slowestMs);
    if (row.sketch !== undefined && row.sketch !== null) mergeStoredSketch(this.duration.sketch, row.sketch, sign);
  }

  /**
   * Adds a group's totals and its rows' sketches as transaction-queries.ts's groupRollups answers
   * them, merged as add merges each row's; false, adding nothing, unless the text is one JSON
   * array of a sign and a value for each of the group's rows. Each stored sketch then was one
   * JSON value (a text that is not would fail to parse or change the count), read as parseSketch
   * reads it: anything but an object is an empty sketch.
   */
  addGroup(row: RollupTotals & { parts: number; sketches: string }): boolean {
    let pairs: unknown;
    try {
      pairs = JSON.parse(row.sketches);
    } catch {
      return false;
    }
    if (!Array.isArray(pairs) || pairs.length !== 2 * row.parts) return false;
    for (let i = 0; i < pairs.length; i += 2) if (pairs[i] !== 1 && pairs[i] !== -1) return false;
    this.add({ ...row, sketch: null });
    for (let i = 0; i < pairs.length; i += 2) {
      const sketch: unknown = pairs[i + 1];
      if (typeof sketch === "object" && sketch !== null && !Array.isArray(sketch))
        mergeSketch(this.duration.sketch, sketch as Sketch, pairs[i]);
    }
    return true;
  }

  addVital(row: VitalRow): void {
    if (!isWebVital(row.vital)) return;
    const d = this.vitals.get(row.vital) ?? { count: 0, sum: 0, max: 0, sketch: new Map() };
    this.vitals.set(row.vital, d);
    d.count += row.count;
    d.sum += row.valueSum;
    if (row.sketch !== null) mergeStoredSketch(d.sketch, row.sketch, 1);
  }
}

export type FieldKind = "group" | "aggregate";

export interface FieldDefinition {
  kind: FieldKind;
  /** Sentry's meta.fields type. */
  type: "string" | "integer" | "number" | "duration" | "percentage" | "rate";
  unit: string | null;
  /** Whether the rollup sketches must be read. */
  needsSketch: boolean;
  /** Whether it needs the hourly rows' slowest transaction, which the recent totals do not keep. */
  needsSlowest?: boolean;
  /** The Web Vital whose rollups it reads. */
  vital: WebVital | null;
  group?: (row: GroupKey, projectSlug: string) => string | number;
  value?: (a: TransactionAggregate, minutes: number) => number | null;
  /** A group field's rollup column, and what it sorts by in SQL (the project's slug for `project`). */
  column?: GroupColumn;
  orderBy?: string;
  /**
   * An SQL expression over a group's summed totals (count, failures, satisfied, tolerated,
   * duration_sum) that orders groups exactly as `value` rounded by roundValue does (the same
   * IEEE operations, rounded to the same millionth), when there is one.
   */
  sqlOrder?: string;
}

export type GroupColumn = "project_id" | "name" | "op" | "environment" | "release";

const GROUPS: Record<string, FieldDefinition> = {
  transaction: group("string", (r) => r.name, "name"),
  "transaction.op": group("string", (r) => r.op, "op"),
  // A project's slug is unique in its organization: grouping by its id groups by its slug.
  project: group("string", (_r, slug) => slug, "project_id", "slug"),
  "project.id": group("integer", (r) => r.projectId, "project_id"),
  environment: group("string", (r) => r.environment, "environment"),
  release: group("string", (r) => r.release, "release"),
};

function group(
  type: "string" | "integer",
  read: (row: GroupKey, slug: string) => string | number,
  column: GroupColumn,
  orderBy: string = column,
): FieldDefinition {
  return { kind: "group", type, unit: null, needsSketch: false, vital: null, group: read, column, orderBy };
}

function aggregate(type: FieldDefinition["type"], value: FieldDefinition["value"], o: Partial<FieldDefinition> = {}): FieldDefinition {
  return { kind: "aggregate", type, unit: null, needsSketch: false, vital: null, value, ...o };
}

// A group in SQL has a count over 0, so no value below is null there. Math.round(x) is round(x)
// in SQLite for x >= 0 (half up). Per minute, a count orders as itself: a window is at most 400
// days (576,000 minutes), so counts 1 apart are more than a millionth apart per minute and round
// apart.
const SIMPLE: Record<string, FieldDefinition> = {
  "count()": aggregate("integer", (a) => a.count, { sqlOrder: "count" }),
  "failure_count()": aggregate("integer", (a) => a.failures, { sqlOrder: "failures" }),
  // Sentry's failure rate: every status but ok, cancelled and unknown, as a fraction.
  "failure_rate()": aggregate("percentage", (a) => (a.count === 0 ? null : a.failures / a.count), {
    sqlOrder: "round(CAST(failures AS REAL) / count * 1e6)",
  }),
  // Apdex: (satisfied + tolerating / 2) / all, against each project's threshold.
  "apdex()": aggregate("number", (a) => (a.count === 0 ? null : (a.satisfied + a.tolerated / 2) / a.count), {
    sqlOrder: "round((satisfied + tolerated / 2.0) / count * 1e6)",
  }),
  "tpm()": aggregate("rate", (a, minutes) => a.count / minutes, { unit: "1/minute", sqlOrder: "count" }),
  "epm()": aggregate("rate", (a, minutes) => a.count / minutes, { unit: "1/minute", sqlOrder: "count" }),
};

const QUANTILES: Record<string, number> = { p50: 0.5, p75: 0.75, p90: 0.9, p95: 0.95, p99: 0.99, p100: 1, min: 0 };
const FUNCTION = /^(p50|p75|p90|p95|p99|p100|avg|sum|min|max)\((transaction\.duration|measurements\.([a-z]+))?\)$/;

/** A field's definition, or a 400 naming it. */
export function transactionField(name: string): FieldDefinition {
  const known = GROUPS[name] ?? SIMPLE[name];
  if (known !== undefined) return known;
  const match = FUNCTION.exec(name);
  const measurement = match?.[3];
  if (match === null || (measurement !== undefined && !isWebVital(measurement)))
    badRequest(
      `field: "${name.slice(0, 80)}" is not supported (${[...Object.keys(GROUPS), ...Object.keys(SIMPLE)].join(", ")}, ` +
        `p50() p75() p90() p95() p99() p100() avg() sum() min() max() of transaction.duration or measurements.${WEB_VITALS.join("|")})`,
    );
  const fn = match[1]!;
  const vital = (measurement as WebVital | undefined) ?? null;
  const unit = vital === "cls" ? null : "millisecond";
  const type = vital === "cls" ? "number" : "duration";
  const of = (a: TransactionAggregate) => (vital === null ? a.duration : a.vitals.get(vital));
  // The sums of durations are added up in SQL in its order, so they may differ from the rows'
  // in their last bits: an order by them is as exact as the sums are.
  const durationOrder = (expression: string) => (vital === null ? { sqlOrder: expression } : {});
  if (fn === "avg")
    return aggregate(type, (a) => ratio(of(a)?.sum, of(a)?.count), { unit, vital, ...durationOrder("round(duration_sum / count * 1e6)") });
  if (fn === "sum") return aggregate(type, (a) => of(a)?.sum ?? 0, { unit, vital, ...durationOrder("round(duration_sum * 1e6)") });
  // The hour's slowest transaction is kept exactly; a vital's maximum comes from its sketch.
  if (fn === "max" && vital === null) return aggregate(type, (a) => (a.count === 0 ? null : a.duration.max), { unit, needsSlowest: true });
  const q = fn === "max" ? 1 : QUANTILES[fn]!;
  return aggregate(type, (a) => sketchQuantile(of(a)?.sketch ?? new Map(), q), { unit, vital, needsSketch: true });
}

function ratio(sum: number | undefined, count: number | undefined): number | null {
  return count === undefined || count === 0 || sum === undefined ? null : sum / count;
}

/** Sentry rounds nothing; a duration is answered to the microsecond so the JSON stays short. */
export function roundValue(value: number | null, type: FieldDefinition["type"]): number | null {
  if (value === null || !Number.isFinite(value)) return null;
  if (type === "integer") return Math.round(value);
  return Math.round(value * 1e6) / 1e6;
}
