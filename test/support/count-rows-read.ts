/**
 * A D1 binding that adds up D1's own `rows_read` of every batch run through it, for tests that
 * bound how much of a table a write reads. `counter.rowsRead` holds the sum; set it to 0 to start over.
 */
export function countRowsRead(db: D1Database): { db: D1Database; counter: { rowsRead: number } } {
  const counter = { rowsRead: 0 };
  const counted = new Proxy(db, {
    get(target, key) {
      if (key === "batch")
        return async (statements: D1PreparedStatement[]) => {
          const results = await target.batch(statements);
          for (const r of results) counter.rowsRead += r.meta.rows_read ?? 0;
          return results;
        };
      const value = Reflect.get(target, key);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  return { db: counted, counter };
}
