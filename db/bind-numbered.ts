/**
 * Binds the leading values a statement's numbered parameters (?1, ?2, ...) name. SQLite counts a
 * statement's parameters up to the highest ?N it names, and D1 refuses a bind of more or fewer,
 * so statements that share one list of values (a run, a clock) each take only their prefix of it.
 */
export function bindNumbered(d1: D1Database, sql: string, values: readonly unknown[]): D1PreparedStatement {
  const highest = Math.max(0, ...[...sql.matchAll(/\?(\d+)/g)].map((m) => Number(m[1])));
  return d1.prepare(sql).bind(...values.slice(0, highest));
}
