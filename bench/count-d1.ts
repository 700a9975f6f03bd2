// What code asks of a D1 binding, counted for the benchmarks: a D1Database to hand to the code
// in place of the binding, which passes every call through and adds up the calls (each a round
// trip to D1), the statements they run, and D1's own meta.rows_read / meta.rows_written (what
// Cloudflare bills, https://developers.cloudflare.com/d1/platform/pricing/), in total and per
// statement text. `first()` runs as `all()` (D1 runs the same query for both, and only `all()`
// reports rows); `raw()` and `exec()` report none, so they are counted as unmetered.

export interface StatementCost {
  runs: number;
  rowsRead: number;
  rowsWritten: number;
}

export interface D1Counts {
  /** Round trips: each all/run/first/raw, each batch, each exec. */
  calls: number;
  /** Statements run: one per single call, every statement of a batch, what an exec counts. */
  statements: number;
  batches: number;
  /** The largest batch, in statements. */
  largestBatch: number;
  prepared: number;
  rowsRead: number;
  rowsWritten: number;
  /** Statements whose rows D1 does not report (raw, exec). */
  unmetered: number;
  /** By the statement's SQL, whitespace collapsed. */
  bySql: Record<string, StatementCost>;
}

export function emptyCounts(): D1Counts {
  return { calls: 0, statements: 0, batches: 0, largestBatch: 0, prepared: 0, rowsRead: 0, rowsWritten: 0, unmetered: 0, bySql: {} };
}

const SQL = Symbol("sql");
const INNER = Symbol("inner");

type Counted = D1PreparedStatement & { [SQL]: string; [INNER]: D1PreparedStatement };

/** A D1Database over `d1` that adds what is asked of it to `counts`. */
export function countingD1(d1: D1Database, counts: D1Counts): D1Database {
  const record = (sql: string, meta: Partial<D1Meta> | null) => {
    counts.statements += 1;
    const cost = (counts.bySql[sql] ??= { runs: 0, rowsRead: 0, rowsWritten: 0 });
    cost.runs += 1;
    if (meta === null) {
      counts.unmetered += 1;
      return;
    }
    counts.rowsRead += meta.rows_read ?? 0;
    counts.rowsWritten += meta.rows_written ?? 0;
    cost.rowsRead += meta.rows_read ?? 0;
    cost.rowsWritten += meta.rows_written ?? 0;
  };

  const wrap = (inner: D1PreparedStatement, sql: string): Counted => {
    const statement = {
      [SQL]: sql,
      [INNER]: inner,
      bind: (...values: unknown[]) => wrap(inner.bind(...values), sql),
      async all<T>() {
        counts.calls += 1;
        const result = await inner.all<T>();
        record(sql, result.meta);
        return result;
      },
      async run<T>() {
        counts.calls += 1;
        const result = await inner.run<T>();
        record(sql, result.meta);
        return result;
      },
      async first<T>(column?: string) {
        counts.calls += 1;
        const result = await inner.all<Record<string, unknown>>();
        record(sql, result.meta);
        const row = result.results[0];
        if (row === undefined) return null;
        return (column === undefined ? row : row[column]) as T;
      },
      async raw<T>(options?: { columnNames?: boolean }) {
        counts.calls += 1;
        record(sql, null);
        return inner.raw<T>(options as { columnNames: true });
      },
    };
    return statement as unknown as Counted;
  };

  const counting = {
    prepare(query: string) {
      counts.prepared += 1;
      return wrap(d1.prepare(query), query.replace(/\s+/g, " ").trim());
    },
    async batch<T>(statements: D1PreparedStatement[]) {
      counts.calls += 1;
      counts.batches += 1;
      counts.largestBatch = Math.max(counts.largestBatch, statements.length);
      const results = await d1.batch<T>(statements.map((s) => (s as Counted)[INNER] ?? s));
      results.forEach((result, i) => record((statements[i] as Counted)[SQL] ?? "(not counted)", result.meta));
      return results;
    },
    async exec(query: string) {
      counts.calls += 1;
      const result = await d1.exec(query);
      for (let i = 0; i < result.count; i++) record(query.replace(/\s+/g, " ").trim(), null);
      return result;
    },
    dump: () => d1.dump(),
    withSession: () => {
      throw new Error("countingD1: withSession is not counted");
    },
  };
  return counting as unknown as D1Database;
}
