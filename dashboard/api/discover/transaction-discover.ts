/**
 * Discover over transactions: the table (`/events/?dataset=transactions`, one row per group of
 * the non-aggregate fields asked for) and the series (`/events-stats/`, one value per bucket and
 * yAxis), both added up from the hourly rollups of the window (transaction-queries.ts).
 */
import type { Context } from "hono";
import { HOUR } from "../../../protocol/time";
import type { ApiEnv } from "../api-env";
import { badRequest } from "../api-error";
import type { QueryWindow } from "./discover-window";
import { bucketTimes } from "./discover-window";
import {
  type FieldDefinition,
  type GroupKey,
  TransactionAggregate,
  type VitalRow,
  roundValue,
  transactionField,
} from "./transaction-fields";
import {
  groupRollups,
  groupTotalsPage,
  recentSince,
  recentTransactionRollups,
  recentTransactionTotals,
  transactionRollups,
  transactionSamples,
  transactionTotals,
  vitalRollups,
} from "./transaction-queries";
import {
  type TransactionSearch,
  exactNames,
  matchesTransactionSearch,
  parseTransactionSearch,
  transactionSearchSql,
} from "./transaction-search";

/** The yAxis functions only transactions have: asking for one means the transactions dataset. */
export function isTransactionAxis(yAxis: string): boolean {
  return yAxis !== "count()" && /\(/.test(yAxis);
}

/** Whether a query is over transactions: `dataset=transactions`, or `event.type:transaction` in the query. */
export function wantsTransactions(c: Context<ApiEnv>): boolean {
  const dataset = c.req.query("dataset");
  return dataset === "transactions" || /(^|\s)event\.type:transaction(\s|$)/.test(c.req.query("query") ?? "");
}

function searchOf(c: Context<ApiEnv>): TransactionSearch {
  const search = parseTransactionSearch(c.req.query("query") ?? "");
  const environments = c.req.queries("environment") ?? [];
  if (environments.length > 0) search.filters.push({ key: "environment", values: environments, negated: false });
  return search;
}

/**
 * Whether a table's window is read from the recent totals (transaction-queries.ts's
 * recentParts) rather than its hourly rows: when their start is known, no field needs the
 * slowest transaction (which they do not keep), the window ends after their start, and the hours
 * between their start and the window's are fewer than the window's own. The last 24 hours begin
 * at their start (queue-consumer/jobs/advance-recent-transactions.ts), so read one row per key.
 */
export function readsRecentTotals(since: number | null, window: QueryWindow, definitions: readonly FieldDefinition[]): boolean {
  if (since === null || window.end <= since || definitions.some((d) => d.needsSlowest === true)) return false;
  return Math.abs(window.start - since) + HOUR < window.end - window.start;
}

/**
 * The start the minute job keeps the recent totals at, at `now`: the first hour of the 24-hour
 * window (queue-consumer/jobs/advance-recent-transactions.ts's recentStartAt).
 */
function expectedRecentSince(now: number): number {
  return now - (now % HOUR) - 24 * HOUR;
}

/**
 * `read` of the window from the recent totals or its hourly rows, as readsRecentTotals decides
 * (windows over 2 hours only), without waiting for their start first when the start the minute
 * job keeps would choose the recent totals: then the start is read beside them. Either read is
 * exact whenever the start is known (recentParts reads it again in its statement; no field
 * needs the slowest transaction), so the choice only moves cost; without a start, the hourly
 * rows are read after all.
 */
async function readWindow<T>(
  c: Context<ApiEnv>,
  window: QueryWindow,
  definitions: readonly FieldDefinition[],
  read: (recent: boolean) => Promise<T>,
): Promise<{ recent: boolean; value: T }> {
  if (window.end - window.start <= 2 * HOUR) return { recent: false, value: await read(false) };
  if (!readsRecentTotals(expectedRecentSince(Date.now()), window, definitions)) {
    const recent = readsRecentTotals(await recentSince(c.env.DB), window, definitions);
    return { recent, value: await read(recent) };
  }
  const [since, value] = await Promise.all([recentSince(c.env.DB), read(true)]);
  if (since !== null) return { recent: true, value };
  return { recent: false, value: await read(false) };
}

/**
 * The window's rows matching the search, of `only` names when given (else of the search's exact
 * names, if any), from the recent totals when `recent`; the Web Vital rows of `vitalsOf` names
 * when given (always hourly: vitals are few and read by name but for a sort by one).
 */
async function readRollups(
  c: Context<ApiEnv>,
  projectIds: number[],
  window: QueryWindow,
  search: TransactionSearch,
  definitions: FieldDefinition[],
  o: { only?: string[] | null; recent?: boolean; vitalsOf?: string[] } = {},
) {
  const names = o.only ?? exactNames(search);
  const vitals = [...new Set(definitions.flatMap((d) => (d.vital === null ? [] : [d.vital])))];
  const needsSketch = (vital: boolean) => definitions.some((d) => d.needsSketch && (d.vital !== null) === vital);
  const read = o.recent === true ? recentTransactionRollups : transactionRollups;
  const [rows, vitalRows] = await Promise.all([
    read(c.env.DB, { projectIds, start: window.start, end: window.end, names, withSketch: needsSketch(false) }),
    vitalRollups(c.env.DB, {
      projectIds,
      start: window.start,
      end: window.end,
      vitals: o.vitalsOf?.length === 0 ? [] : vitals,
      names: o.vitalsOf ?? names,
      withSketch: needsSketch(true),
    }),
  ]);
  return {
    rows: rows.filter((r) => matchesTransactionSearch(search, r)),
    vitalRows: vitalRows.filter((r) => matchesTransactionSearch(search, r)),
  };
}

interface Group {
  id: string;
  key: Array<string | number>;
  aggregate: TransactionAggregate;
}

/** Rows added up into groups of the table's non-aggregate fields. */
class Groups {
  readonly byId = new Map<string, Group>();
  constructor(
    private readonly groupFields: string[],
    private readonly definitions: Map<string, FieldDefinition>,
    private readonly slugs: Map<number, string>,
  ) {}

  of(row: GroupKey): Group {
    const key = this.groupFields.map((f) => this.definitions.get(f)!.group!(row, this.slugs.get(row.projectId) ?? String(row.projectId)));
    const id = JSON.stringify(key);
    let g = this.byId.get(id);
    if (g === undefined) {
      g = { id, key, aggregate: new TransactionAggregate() };
      this.byId.set(id, g);
    }
    return g;
  }

  /** The groups with data, in the order the sort asks; ties by group key, so every read pages alike. */
  sorted(sortField: string, direction: number, minutes: number): Group[] {
    const d = this.definitions.get(sortField)!;
    const value = (g: Group) =>
      d.kind === "group" ? g.key[this.groupFields.indexOf(sortField)] : roundValue(d.value!(g.aggregate, minutes), d.type);
    return [...this.byId.values()]
      .filter((g) => g.aggregate.count > 0 || g.aggregate.vitals.size > 0)
      .map((g) => ({ g, v: value(g) }))
      .sort((a, b) => direction * compare(a.v, b.v) || compareKeys(a.g.key, b.g.key))
      .map((x) => x.g);
  }
}

/** Group keys field by field, numbers by value and strings by code point, as SQLite's BINARY orders them. */
export function compareKeys(a: ReadonlyArray<string | number>, b: ReadonlyArray<string | number>): number {
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x === y) continue;
    if (typeof x === "number" && typeof y === "number") return x - y;
    return compareCodePoints(String(x), String(y));
  }
  return 0;
}

function compareCodePoints(a: string, b: string): number {
  const surrogate = (c: number) => c >= 0xd800 && c <= 0xdfff;
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    // UTF-16 spells code points over U+FFFF with surrogates, below U+E000..U+FFFF; by code point they come after.
    if (surrogate(x) && y >= 0xe000) return 1;
    if (surrogate(y) && x >= 0xe000) return -1;
    return x - y;
  }
  return a.length - b.length;
}

const MAX_PER_PAGE = 100;

/**
 * The page of groups and how many groups there are. A sort by a count, rate, average or sum (the
 * Performance table's default, by throughput) is answered in one read: the groups' totals added
 * up, sorted and paged in SQL (groupTotalsPage, when the search can be said in SQL and the page's
 * names are known from its groups), so only the page's groups come back, with their sketches and
 * their names' Web Vitals; a sort by a group field, or a search SQL cannot say, sorts each key's
 * totals in the function, then reads the rows of the page's names. A sort by a duration percentile needs
 * every group's sketch: each group's rows come added up in SQL as one row with its sketches
 * joined (groupRollups), merged and sorted here, then the Web Vitals of the page's names are
 * read. Otherwise it reads and merges every key's rows of the window; a sort by a Web Vital
 * reads every vital row; a search for exact names reads their rows at once. Over the
 * last 24 hours (and longer) each read takes the recent totals, one row per key, instead of
 * one per key and hour (readsRecentTotals).
 */
async function tablePage(
  c: Context<ApiEnv>,
  o: { projectIds: number[]; window: QueryWindow; search: TransactionSearch; definitions: Map<string, FieldDefinition>; fields: string[] },
  slugsOf: Promise<Map<number, string>>,
  sort: { field: string; direction: number; offset: number; perPage: number },
): Promise<{ page: Group[]; total: number }> {
  const { projectIds, window, search, definitions, fields } = o;
  // Filled once the first read and the projects' slugs are both in, before any group is made.
  const slugs = new Map<number, string>();
  const readFirst = async <T>(read: (recent: boolean) => Promise<T>) => {
    const [value, known] = await Promise.all([readWindow(c, window, all, read), slugsOf]);
    for (const [id, slug] of known) slugs.set(id, slug);
    return value;
  };
  const groupFields = fields.filter((f) => definitions.get(f)!.kind === "group");
  const minutes = (window.end - window.start) / 60_000;
  const sortDefinition = definitions.get(sort.field)!;
  const all = [...definitions.values()];
  const where = transactionSearchSql(search, "?5");
  const hasVitals = all.some((d) => d.vital !== null);
  if (
    sortDefinition.needsSketch &&
    sortDefinition.vital === null &&
    exactNames(search) === null &&
    where !== null &&
    (!hasVitals || groupFields.includes("transaction"))
  ) {
    // A sort by a duration percentile: every group's rows added up in SQL, one row per group
    // with its sketches in one text, merged and sorted here; then the page's Web Vitals. A stored
    // sketch that is not one JSON value (never written so) sends the table down the path below.
    const groups = new Groups(groupFields, definitions, slugs);
    const rows = await withoutTooBig(
      readFirst((recent) =>
        groupRollups(c.env.DB, {
          projectIds,
          start: window.start,
          end: window.end,
          recent,
          groupBy: groupFields.map((f) => definitions.get(f)!.column!),
          where,
        }),
      ).then((r) => r.value),
    );
    if (rows !== null && rows.every((r) => groups.of(r).aggregate.addGroup(r))) {
      const sorted = groups.sorted(sort.field, sort.direction, minutes);
      const page = sorted.slice(sort.offset, sort.offset + sort.perPage);
      if (hasVitals && page.length > 0) {
        const at = groupFields.indexOf("transaction");
        const onPage = [...new Set(page.map((g) => String(g.key[at])))];
        await addPageVitals(c, { projectIds, window, search, definitions: all }, groups, page, onPage);
      }
      return { page, total: sorted.length };
    }
  }
  if (sortDefinition.needsSketch || sortDefinition.vital !== null || exactNames(search) !== null) {
    const groups = new Groups(groupFields, definitions, slugs);
    const vitalsLater = sortDefinition.vital === null && exactNames(search) === null && all.some((d) => d.vital !== null);
    const {
      value: { rows, vitalRows },
    } = await readFirst((recent) => readRollups(c, projectIds, window, search, all, { recent, vitalsOf: vitalsLater ? [] : undefined }));
    const names = new Map<string, Set<string>>();
    for (const r of rows) {
      const g = groups.of(r);
      g.aggregate.add(r);
      if (vitalsLater) names.set(g.id, (names.get(g.id) ?? new Set()).add(r.name));
    }
    for (const r of vitalRows) groups.of(r).aggregate.addVital(r);
    const sorted = groups.sorted(sort.field, sort.direction, minutes);
    const page = sorted.slice(sort.offset, sort.offset + sort.perPage);
    if (vitalsLater && page.length > 0) {
      const onPage = [...new Set(page.flatMap((g) => [...(names.get(g.id) ?? [])]))];
      await addPageVitals(c, { projectIds, window, search, definitions: all }, groups, page, onPage);
    }
    return { page, total: sorted.length };
  }

  const needsRows = all.some((d) => d.needsSketch || d.vital !== null);
  if (
    sortDefinition.sqlOrder !== undefined &&
    where !== null &&
    all.every((d) => d.needsSlowest !== true) &&
    (!needsRows || groupFields.includes("transaction"))
  ) {
    // The page's groups of the totals, added up, sorted and paged in SQL, in one statement with
    // their rows' sketches and the Web Vitals of their names when fields need them. A stored
    // sketch that is not one JSON value (never written so) has the page's rows read again.
    const vitals = [...new Set(all.flatMap((d) => (d.vital === null ? [] : [d.vital])))];
    const readPage = (withSketches: boolean) =>
      readFirst((recent) =>
        groupTotalsPage(c.env.DB, {
          projectIds,
          start: window.start,
          end: window.end,
          recent,
          groupBy: groupFields.map((f) => definitions.get(f)!.column!),
          where,
          order: sortDefinition.sqlOrder!,
          direction: sort.direction < 0 ? -1 : 1,
          tieBreak: groupFields.map((f) => definitions.get(f)!.orderBy!),
          offset: sort.offset,
          limit: sort.perPage,
          withSketches,
          vitals: { vitals, withSketch: all.some((d) => d.needsSketch && d.vital !== null) },
        }),
      );
    // A group whose sketches join into more text than SQLite holds has the page's rows read again.
    const sketched = all.some((d) => d.needsSketch && d.vital === null);
    const sketchedPage = sketched ? await withoutTooBig(readPage(true)) : null;
    const withSketches = sketchedPage !== null;
    const { recent, value: read } = sketchedPage ?? (await readPage(false));
    const groups = new Groups(groupFields, definitions, slugs);
    let joined = withSketches || !sketched;
    const page = read.page.map((r) => {
      const g = groups.of(r);
      if (!withSketches) g.aggregate.add({ ...r, slowestMs: 0 });
      else joined &&= g.aggregate.addGroup({ ...r, slowestMs: 0, parts: r.parts ?? 0, sketches: r.sketches ?? "" });
      return g;
    });
    const total = read.page[0]?.total ?? 0;
    if (joined) {
      addVitalsToPage(groups, page, read.vitalRows, search);
      return { page, total };
    }
    const again = new Groups(groupFields, definitions, slugs);
    const names = [...new Set(read.page.map((r) => r.name))];
    const rows = await readRollups(c, projectIds, window, search, all, { only: names, recent });
    for (const r of rows.rows) again.of(r).aggregate.add(r);
    for (const r of rows.vitalRows) again.of(r).aggregate.addVital(r);
    return { page: page.map((g) => again.byId.get(g.id) ?? g), total };
  }

  // A Web Vital row is only ever written with its transaction's rollup row (same key and hour),
  // so the totals of transaction_rollups hold every group there is.
  const { recent, value: totals } = await readFirst((recent) =>
    (recent ? recentTransactionTotals : transactionTotals)(c.env.DB, { projectIds, start: window.start, end: window.end, names: null }),
  );
  const totalGroups = new Groups(groupFields, definitions, slugs);
  const keyGroups = totals.filter((t) => matchesTransactionSearch(search, t)).map((t) => ({ t, g: totalGroups.of(t) }));
  for (const { t, g } of keyGroups) g.aggregate.add(t);
  const sorted = totalGroups.sorted(sort.field, sort.direction, minutes);
  const page = sorted.slice(sort.offset, sort.offset + sort.perPage);
  if (page.length === 0 || all.every((d) => !d.needsSketch && d.vital === null)) return { page, total: sorted.length };

  const onPage = new Set(page.map((g) => g.id));
  const names = [...new Set(keyGroups.filter(({ g }) => onPage.has(g.id)).map(({ t }) => t.name))];
  const groups = new Groups(groupFields, definitions, slugs);
  const { rows, vitalRows } = await readRollups(c, projectIds, window, search, all, { only: names, recent });
  for (const r of rows) groups.of(r).aggregate.add(r);
  for (const r of vitalRows) groups.of(r).aggregate.addVital(r);
  return { page: page.map((g) => groups.byId.get(g.id) ?? g), total: sorted.length };
}

/**
 * What `read` answers, or null when SQLite refused a text over its length limit (SQLITE_TOOBIG,
 * https://www.sqlite.org/limits.html#max_length): a group's sketches joined can be longer.
 */
async function withoutTooBig<T>(read: Promise<T>): Promise<T | null> {
  try {
    return await read;
  } catch (err) {
    if (err instanceof Error && /SQLITE_TOOBIG/.test(`${err.message} ${String(err.cause)}`)) return null;
    throw err;
  }
}

/** Adds the Web Vitals of the page's groups, read for the page's names only (hourly rows: vitals are few). */
async function addPageVitals(
  c: Context<ApiEnv>,
  o: { projectIds: number[]; window: QueryWindow; search: TransactionSearch; definitions: FieldDefinition[] },
  groups: Groups,
  page: Group[],
  names: string[],
): Promise<void> {
  const vitals = [...new Set(o.definitions.flatMap((d) => (d.vital === null ? [] : [d.vital])))];
  const withSketch = o.definitions.some((d) => d.needsSketch && d.vital !== null);
  const { projectIds, window } = o;
  const late = await vitalRollups(c.env.DB, { projectIds, start: window.start, end: window.end, vitals, names, withSketch });
  addVitalsToPage(groups, page, late, o.search);
}

/** Adds each Web Vital row matching the search to its group, when that group is on the page. */
function addVitalsToPage(groups: Groups, page: Group[], rows: readonly VitalRow[], search: TransactionSearch): void {
  const pageIds = new Set(page.map((g) => g.id));
  for (const r of rows) {
    if (!matchesTransactionSearch(search, r)) continue;
    const g = groups.of(r);
    if (pageIds.has(g.id)) g.aggregate.addVital(r);
  }
}

// https://docs.sentry.io/api/discover/query-discover-events-in-table-format/ with dataset=transactions.
export async function transactionTable(
  c: Context<ApiEnv>,
  projectIds: number[],
  slugs: Promise<Map<number, string>>,
  window: QueryWindow,
): Promise<Response> {
  const fields = c.req.queries("field") ?? [];
  if (fields.length === 0) badRequest("field: give at least one field");
  if (fields.some((f) => SAMPLE_ONLY.has(f))) return transactionSampleTable(c, projectIds, slugs, window, fields);
  const definitions = new Map(fields.map((f) => [f, transactionField(f)]));
  const sort = c.req.query("sort") ?? (fields.includes("count()") ? "-count()" : `-${fields[0]}`);
  const sortField = sort.replace(/^-/, "");
  if (!definitions.has(sortField)) badRequest(`sort: "${sort.slice(0, 80)}" is not one of the fields`);
  const perPage = Number(c.req.query("per_page") ?? "50");
  if (!Number.isInteger(perPage) || perPage < 1 || perPage > MAX_PER_PAGE) badRequest(`per_page: a whole number from 1 to ${MAX_PER_PAGE}`);
  const offset = offsetOf(c.req.query("cursor"));

  const search = searchOf(c);
  const direction = sort.startsWith("-") ? -1 : 1;
  const { page, total } = await tablePage(c, { projectIds, window, search, definitions, fields }, slugs, {
    field: sortField,
    direction,
    offset,
    perPage,
  });
  const groupFields = fields.filter((f) => definitions.get(f)!.kind === "group");
  const minutes = (window.end - window.start) / 60_000;
  const data = page.map((g) =>
    Object.fromEntries(
      fields.map((f) => {
        const d = definitions.get(f)!;
        return [f, d.kind === "group" ? g.key[groupFields.indexOf(f)] : roundValue(d.value!(g.aggregate, minutes), d.type)];
      }),
    ),
  );
  const res = c.json({
    data,
    meta: {
      fields: Object.fromEntries(fields.map((f) => [f, definitions.get(f)!.type])),
      units: Object.fromEntries(fields.map((f) => [f, definitions.get(f)!.unit])),
      isMetricsData: false,
      dataset: "transactions",
    },
  });
  res.headers.set("Link", links(c.req.url, offset, perPage, total));
  return res;
}
// https://docs.sentry.io/api/discover/retrieve-event-counts-for-an-organization-v2/ over transactions.
export async function transactionSeries(c: Context<ApiEnv>, projectIds: number[], window: QueryWindow, yAxes: string[]): Promise<Response> {
  const definitions = new Map(yAxes.map((y) => [y, transactionField(y)]));
  for (const [y, d] of definitions) if (d.kind === "group") badRequest(`yAxis: "${y.slice(0, 80)}" is not a function`);
  const { rows, vitalRows } = await readRollups(c, projectIds, window, searchOf(c), [...definitions.values()]);
  const buckets = bucketTimes(window).map(() => new TransactionAggregate());
  const slot = (hour: number) => buckets[Math.floor((hour - window.start) / window.interval)];
  for (const r of rows) slot(r.hour)?.add(r);
  for (const r of vitalRows) slot(r.hour)?.addVital(r);
  const minutes = window.interval / 60_000;
  const times = bucketTimes(window);
  const series = (y: string) => {
    const d = definitions.get(y)!;
    return {
      data: times.map((t, i) => [t, [{ count: roundValue(d.value!(buckets[i]!, minutes), d.type) ?? 0 }]]),
      start: window.start / 1000,
      end: window.end / 1000,
      isMetricsData: false,
      meta: { fields: { time: "date", [y]: d.type }, units: { time: null, [y]: d.unit } },
    };
  };
  return c.json(yAxes.length === 1 ? series(yAxes[0]!) : Object.fromEntries(yAxes.map((y) => [y, series(y)])));
}

type Sample = Awaited<ReturnType<typeof transactionSamples>>[number];

/** Fields of single transactions: asking for one asks for rows of transactions, not groups. */
const SAMPLE_ONLY = new Set(["id", "trace", "span_id", "transaction.duration", "transaction.status", "timestamp"]);

/** The per-transaction fields of Discover's event rows, as the samples answer them. */
const SAMPLE_FIELDS: Record<string, { type: string; unit: string | null; value: (s: Sample, slug: string) => unknown }> = {
  id: { type: "string", unit: null, value: (s) => s.eventId ?? s.spanId },
  trace: { type: "string", unit: null, value: (s) => s.traceId },
  span_id: { type: "string", unit: null, value: (s) => s.spanId },
  transaction: { type: "string", unit: null, value: (s) => s.name },
  "transaction.op": { type: "string", unit: null, value: (s) => s.op },
  "transaction.status": { type: "string", unit: null, value: (s) => s.status },
  "transaction.duration": { type: "duration", unit: "millisecond", value: (s) => roundValue(s.durationMs, "duration") },
  timestamp: { type: "date", unit: null, value: (s) => new Date(s.startedAt + s.durationMs).toISOString() },
  project: { type: "string", unit: null, value: (_s, slug) => slug },
  "project.id": { type: "integer", unit: null, value: (s) => s.projectId },
  environment: { type: "string", unit: null, value: (s) => s.environment },
  release: { type: "string", unit: null, value: (s) => s.release },
};

/**
 * Rows of single transactions (`field=id&field=trace&field=transaction.duration`, as Sentry's
 * transaction summary asks for its samples): Faultline keeps no row per transaction to scan, so
 * the rows are the samples its rollups keep, the slowest and the latest transaction of each hour.
 */
async function transactionSampleTable(
  c: Context<ApiEnv>,
  projectIds: number[],
  slugsOf: Promise<Map<number, string>>,
  window: QueryWindow,
  fields: string[],
) {
  for (const f of fields)
    if (!(f in SAMPLE_FIELDS))
      badRequest(`field: "${f.slice(0, 80)}" cannot be asked with per-transaction fields (${Object.keys(SAMPLE_FIELDS).join(", ")})`);
  const sort = c.req.query("sort") ?? "-timestamp";
  const sortField = sort.replace(/^-/, "");
  if (!fields.includes(sortField)) badRequest(`sort: "${sort.slice(0, 80)}" is not one of the fields`);
  const perPage = Number(c.req.query("per_page") ?? "50");
  if (!Number.isInteger(perPage) || perPage < 1 || perPage > MAX_PER_PAGE) badRequest(`per_page: a whole number from 1 to ${MAX_PER_PAGE}`);
  const offset = offsetOf(c.req.query("cursor"));
  const search = searchOf(c);
  const [samples, slugs] = await Promise.all([
    transactionSamples(c.env.DB, { projectIds, start: window.start, end: window.end, names: exactNames(search) }),
    slugsOf,
  ]);
  const data = samples
    .filter((s) => matchesTransactionSearch(search, { name: s.name, op: s.op, environment: s.environment, release: s.release }))
    .map((s) => Object.fromEntries(fields.map((f) => [f, SAMPLE_FIELDS[f]!.value(s, slugs.get(s.projectId) ?? String(s.projectId))])));
  const direction = sort.startsWith("-") ? -1 : 1;
  data.sort((a, b) => direction * compare(a[sortField], b[sortField]));
  const res = c.json({
    data: data.slice(offset, offset + perPage),
    meta: {
      fields: Object.fromEntries(fields.map((f) => [f, SAMPLE_FIELDS[f]!.type])),
      units: Object.fromEntries(fields.map((f) => [f, SAMPLE_FIELDS[f]!.unit])),
      isMetricsData: false,
      dataset: "transactions",
    },
  });
  res.headers.set("Link", links(c.req.url, offset, perPage, data.length));
  return res;
}

/** Sentry's offset cursors (`0:<offset>:0`), as Discover's pages use. */
function offsetOf(cursor: string | undefined): number {
  if (cursor === undefined || cursor === "") return 0;
  const match = /^\d{1,16}:(\d{1,7}):[01]$/.exec(cursor);
  if (match === null) badRequest("cursor: not a cursor this API returned");
  return Number(match[1]);
}

function links(url: string, offset: number, perPage: number, total: number): string {
  const at = (o: number) => {
    const u = new URL(url);
    u.searchParams.set("cursor", `0:${o}:0`);
    return u.toString();
  };
  const previous = Math.max(0, offset - perPage);
  return [
    `<${at(previous)}>; rel="previous"; results="${offset > 0}"; cursor="0:${previous}:1"`,
    `<${at(offset + perPage)}>; rel="next"; results="${offset + perPage < total}"; cursor="0:${offset + perPage}:0"`,
  ].join(", ");
}

function compare(a: unknown, b: unknown): number {
  if (typeof a === "number" && typeof b === "number") return a - b;
  if (a === null || a === undefined) return b === null || b === undefined ? 0 : -1;
  if (b === null || b === undefined) return 1;
  return String(a).localeCompare(String(b));
}
