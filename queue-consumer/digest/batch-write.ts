import { bindNumbered } from "../../db/bind-numbered";
import { DAY, HOUR } from "../../protocol/time";

/** A query built with drizzle. */
export interface SqlQuery {
  toSQL(): { sql: string; params: unknown[] };
}

// D1 allows 100 bound parameters per statement (https://developers.cloudflare.com/d1/platform/limits/).
const MAX_PARAMS = 100;

/**
 * One digest run's write: every item kind adds its statements, under a name when it wants their
 * results back, and the whole list goes to D1 as one `batch()`, which runs as one transaction:
 * either all of it lands or none of it does. Results are read by name after the commit, never by
 * position, so a kind can add or drop a statement without breaking another's reading.
 *
 * Every row a run inserts is tagged with the run's id (`ingest_batch`), so the statements that
 * derive counters from "this run's rows" move them by exactly what this run inserted: a
 * redelivered item that an earlier run stored changes nothing.
 */
export class BatchWrite {
  readonly run: string = crypto.randomUUID();
  private readonly statements: D1PreparedStatement[] = [];
  private readonly named = new Map<string, number[]>();

  constructor(
    readonly d1: D1Database,
    readonly now: number,
  ) {}

  get isEmpty(): boolean {
    return this.statements.length === 0;
  }

  /** Adds a prepared statement; with a name, its results can be read after the commit. */
  add(statement: D1PreparedStatement, name?: string): void {
    if (name !== undefined) this.named.set(name, [...(this.named.get(name) ?? []), this.statements.length]);
    this.statements.push(statement);
  }

  /** Adds a drizzle query (drizzle's own batch cannot mix in raw statements). */
  addQuery(query: SqlQuery, name?: string): void {
    const { sql, params } = query.toSQL();
    this.add(this.d1.prepare(sql).bind(...params), name);
  }

  /** Adds a multi-row INSERT as as many statements as D1's 100 bound parameters per statement need. */
  addInsertChunks<T>(rows: readonly T[], insert: (rows: T[]) => SqlQuery, name?: string): void {
    const [first] = rows;
    if (first === undefined) return;
    const size = Math.max(1, Math.floor(MAX_PARAMS / insert([first]).toSQL().params.length));
    for (let i = 0; i < rows.length; i += size) this.addQuery(insert(rows.slice(i, i + size)), name);
  }

  /**
   * Adds raw SQL over the run's shared parameters: ?1 the run's id, ?2 an hour and ?3 a day (ms),
   * ?4 the run's clock (ms); `extra` values follow as ?5 and on.
   */
  addSql(sql: string, name?: string, ...extra: unknown[]): void {
    this.add(bindNumbered(this.d1, sql, [this.run, HOUR, DAY, this.now, ...extra]), name);
  }

  async commit(): Promise<BatchResults> {
    return new BatchResults(await this.d1.batch(this.statements), this.named);
  }
}

export class BatchResults {
  constructor(
    private readonly results: D1Result[],
    private readonly named: ReadonlyMap<string, number[]>,
  ) {}

  /** The results of every statement added under `name`, in the order they were added. */
  of(name: string): D1Result[] {
    return (this.named.get(name) ?? []).map((i) => this.results[i]!);
  }

  /** The `id` column of the rows every statement under `name` returned. */
  ids(name: string): number[] {
    return this.of(name).flatMap((r) => ((r.results ?? []) as Array<{ id: unknown }>).map((row) => Number(row.id)));
  }

  /** Rows changed by the statements under `name`. */
  changes(name: string): number {
    return this.of(name).reduce((n, r) => n + (r.meta.changes ?? 0), 0);
  }
}
