// Read-only queries retried on transient D1 failures, the way D1 itself retries them in production
// ("D1 automatically retries read-only queries up to two more times when it encounters a retryable
// error": developers.cloudflare.com/d1/best-practices/retry-queries/). Local D1 (Miniflare) does not,
// and locally the Worker and the dashboard are two workerd processes sharing one SQLite file, so a
// dashboard read that lands while the consumer commits fails with SQLITE_BUSY, surfaced to the
// script only as "internal error; reference = ...". Writes are never retried here: whether a
// failed write ran is unknown, and the queues already retry the consumer's writes.

const READ_ONLY = /^\s*(select|with|explain)\b/i;
// D1's own heuristic: a statement containing any keyword that can write is not read-only.
const WRITES = /\b(insert|update|delete|replace|create|drop|alter|pragma|vacuum|attach|detach|reindex|analyze|begin|commit|savepoint)\b/i;
// The messages of D1 errors that say nothing about the query itself (docs: d1/observability/debug-d1).
const TRANSIENT =
  /internal error|SQLITE_BUSY|database is locked|Network connection lost|storage caused object to be reset|reset because its code was updated|storage operation exceeded timeout|overloaded/i;

export interface RetryOptions {
  attempts: number;
  baseDelayMs: number;
  sleep: (ms: number) => Promise<void>;
}

const DEFAULTS: RetryOptions = {
  attempts: 8,
  baseDelayMs: 25,
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

export function isReadOnlySql(sql: string): boolean {
  return READ_ONLY.test(sql) && !WRITES.test(sql);
}

export function isTransientD1Error(err: unknown): boolean {
  const message = err instanceof Error ? `${err.message} ${String((err as { cause?: unknown }).cause ?? "")}` : String(err);
  return TRANSIENT.test(message);
}

async function withRetries<T>(run: () => Promise<T>, options: RetryOptions): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await run();
    } catch (err) {
      if (attempt >= options.attempts || !isTransientD1Error(err)) throw err;
      // Exponential backoff with half of it jittered: about 25, 50, 100 ... 1,600 ms, about 2.4 s
      // in all: longer than a consumer's commit holds the write lock, even on a busy machine.
      const delay = options.baseDelayMs * 2 ** (attempt - 1);
      await options.sleep(delay / 2 + (Math.random() * delay) / 2);
    }
  }
}

const UNWRAP = Symbol("d1 statement");

class RetryingStatement {
  readonly [UNWRAP]: D1PreparedStatement;

  constructor(
    statement: D1PreparedStatement,
    readonly readOnly: boolean,
    private readonly options: RetryOptions,
  ) {
    this[UNWRAP] = statement;
  }

  bind(...values: unknown[]): RetryingStatement {
    return new RetryingStatement(this[UNWRAP].bind(...values), this.readOnly, this.options);
  }

  private call<T>(run: () => Promise<T>): Promise<T> {
    return this.readOnly ? withRetries(run, this.options) : run();
  }

  first(column?: string): Promise<unknown> {
    return this.call(() => (column === undefined ? this[UNWRAP].first() : this[UNWRAP].first(column)));
  }

  all(): Promise<D1Result> {
    return this.call(() => this[UNWRAP].all());
  }

  run(): Promise<D1Result> {
    return this.call(() => this[UNWRAP].run());
  }

  raw(options?: { columnNames?: boolean }): Promise<unknown[]> {
    return this.call(() => this[UNWRAP].raw(options as { columnNames: true }) as Promise<unknown[]>);
  }
}

/** A D1Database whose read-only statements (and all-read batches) retry transient failures. */
export function retryReadQueries(db: D1Database, overrides: Partial<RetryOptions> = {}): D1Database {
  const options = { ...DEFAULTS, ...overrides };
  const wrapper = {
    prepare: (sql: string) => new RetryingStatement(db.prepare(sql), isReadOnlySql(sql), options),
    batch: (statements: RetryingStatement[]) => {
      const inner = statements.map((s) => s[UNWRAP]);
      const run = () => db.batch(inner);
      return statements.every((s) => s.readOnly) ? withRetries(run, options) : run();
    },
    exec: (sql: string) => db.exec(sql),
    dump: () => (db as unknown as { dump(): Promise<ArrayBuffer> }).dump(),
    withSession: (constraint?: string) => (db as unknown as { withSession(c?: string): unknown }).withSession(constraint),
  };
  return wrapper as unknown as D1Database;
}
