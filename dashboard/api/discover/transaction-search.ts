import { badRequest } from "../api-error";

/**
 * Discover's search over transactions (https://docs.sentry.io/concepts/search/searchable-properties/spans/),
 * the part the rollups can answer:
 *
 *   event.type:transaction   transaction:NAME   transaction:"GET /a b"   transaction:[a, b]
 *   transaction:/api/*  (a * matches anything)   transaction.op:http.server   environment:prod
 *   release:1.0.0   !key:value (none of)   anything else: text in the transaction name
 *
 * Filters are ANDed. Any other key is refused with a 400 naming it, never ignored.
 */
export interface TransactionFilter {
  key: "transaction" | "transaction.op" | "environment" | "release";
  values: string[];
  negated: boolean;
}

export interface TransactionSearch {
  filters: TransactionFilter[];
  /** Lower-cased text every matching name contains. */
  text: string | null;
}

const KEYS = new Set(["transaction", "transaction.op", "environment", "release"]);
const MAX_QUERY_CHARS = 1000;
const TOKEN = /(!?)([A-Za-z0-9_.-]+):("(?:[^"\\]|\\.)*"?|\[[^\]]*\]?|\S*)|"((?:[^"\\]|\\.)*)("?)|(\S+)/g;

export function parseTransactionSearch(query: string): TransactionSearch {
  if (query.length > MAX_QUERY_CHARS) badRequest(`query: longer than ${MAX_QUERY_CHARS} characters`);
  const search: TransactionSearch = { filters: [], text: null };
  const words: string[] = [];
  for (const [, bang, key, rawValue, quotedText, closing, word] of query.matchAll(TOKEN)) {
    if (key === undefined) {
      if (quotedText !== undefined && closing !== '"') badRequest("query: a quote is not closed");
      const text = quotedText !== undefined ? unescape(quotedText) : word;
      if (text) words.push(text);
      continue;
    }
    if (key === "event.type") {
      if (rawValue !== "transaction" || bang)
        badRequest(`query: event.type:${(rawValue ?? "").slice(0, 50)} is not this dataset (event.type:transaction is)`);
      continue;
    }
    if (!KEYS.has(key)) badRequest(`query: "${key.slice(0, 50)}" is not a key this search knows (${[...KEYS, "event.type"].join(", ")})`);
    const values = valuesOf(rawValue ?? "");
    if (values.length === 0) badRequest(`query: ${key}: needs a value`);
    search.filters.push({ key: key as TransactionFilter["key"], values, negated: bang === "!" });
  }
  if (words.length > 0) search.text = words.join(" ").toLowerCase();
  return search;
}

function valuesOf(raw: string): string[] {
  if (raw.startsWith('"')) {
    if (raw.length < 2 || !raw.endsWith('"') || raw.endsWith('\\"')) badRequest("query: a quote is not closed");
    return [unescape(raw.slice(1, -1))];
  }
  if (raw.startsWith("[")) {
    if (!raw.endsWith("]")) badRequest("query: a [list] is not closed");
    return raw
      .slice(1, -1)
      .split(",")
      .map((v) => v.trim().replace(/^"(.*)"$/, "$1"))
      .filter((v) => v !== "");
  }
  return raw === "" ? [] : [raw];
}

function unescape(text: string): string {
  return text.replace(/\\(.)/g, "$1");
}

/** Whether a rollup row's key matches the search. */
export function matchesTransactionSearch(
  search: TransactionSearch,
  row: { name: string; op: string; environment: string; release: string },
): boolean {
  if (search.text !== null && !row.name.toLowerCase().includes(search.text)) return false;
  for (const f of search.filters) {
    const value =
      f.key === "transaction" ? row.name : f.key === "transaction.op" ? row.op : f.key === "environment" ? row.environment : row.release;
    const hit = f.values.some((v) => (v.includes("*") ? globMatches(v, value) : v === value));
    if (hit === f.negated) return false;
  }
  return true;
}

/**
 * Whether `text` matches `pattern`, where a * matches any run of characters (line breaks too, as
 * SQLite's GLOB does) and everything else itself. The pieces between stars are each found at
 * their first place after the one before, which finds a match whenever there is one, in time
 * linear in the text per piece: a backtracking regular expression takes exponential time on
 * patterns like *a*a*a*a*b.
 */
function globMatches(pattern: string, text: string): boolean {
  const pieces = pattern.split("*");
  const first = pieces[0]!;
  const last = pieces[pieces.length - 1]!;
  if (pieces.length === 1) return pattern === text;
  if (text.length < first.length + last.length || !text.startsWith(first) || !text.endsWith(last)) return false;
  const end = text.length - last.length;
  let at = first.length;
  for (const piece of pieces.slice(1, -1)) {
    const found = text.indexOf(piece, at);
    if (found < 0 || found + piece.length > end) return false;
    at = found + piece.length;
  }
  return true;
}

const COLUMNS: Record<TransactionFilter["key"], string> = {
  transaction: "name",
  "transaction.op": "op",
  environment: "environment",
  release: "release",
};

/** More filters than this are matched in the function (transactionSearchSql). */
const MAX_SQL_FILTERS = 40;
const MAX_GLOB_BYTES = 50;

/**
 * The search as an SQL condition over rollup rows (columns name, op, environment, release) that
 * matches exactly the rows matchesTransactionSearch does, its values all in one JSON parameter
 * (`param`, e.g. "?5"), so any number of them stays under D1's 100 bound parameters; null when
 * it cannot: a text that is not ASCII, which JavaScript lower-cases by Unicode's rules, or a
 * pattern with a NUL character, where SQLite's GLOB ends the pattern (so `a\0*` would match "a"),
 * more filters than MAX_SQL_FILTERS: conditions ANDed in a chain nest one level each, and
 * D1 refuses an expression over 100 levels deep (https://www.sqlite.org/limits.html#max_expr_depth),
 * or a GLOB pattern over the 50 bytes D1 takes (https://developers.cloudflare.com/d1/platform/limits/).
 * SQLite's lower() folds ASCII only; the two characters whose lower case JavaScript spells in
 * ASCII (U+0130 and the Kelvin sign U+212A) are spelled so before it, so an ASCII text is found
 * where JavaScript finds it. Exact values compare as `===` does (BINARY); a value with a * is a
 * GLOB pattern whose other GLOB characters ([ and ?) are escaped.
 */
export function transactionSearchSql(search: TransactionSearch, param: string): { sql: string; value: string } | null {
  if (search.text !== null && !/^[\x00-\x7f]*$/.test(search.text)) return null;
  if (search.filters.some((f) => f.values.some((v) => v.includes("*") && v.includes("\0")))) return null;
  if (search.filters.length > MAX_SQL_FILTERS) return null;
  const conditions: string[] = [];
  const values: Array<{ eq: string[]; glob: string[] } | string> = [];
  if (search.text !== null) {
    conditions.push(`instr(lower(replace(replace(name, '\u0130', 'i\u0307'), '\u212a', 'k')), json_extract(${param}, '$[0]')) > 0`);
    values.push(search.text);
  }
  for (const f of search.filters) {
    const at = `'$[${values.length}]`;
    const column = COLUMNS[f.key];
    const eq = f.values.filter((v) => !v.includes("*"));
    const patterns = f.values.filter((v) => v.includes("*")).map((v) => v.split("*").map(escapeGlob).join("*"));
    if (patterns.some((p) => new TextEncoder().encode(p).length > MAX_GLOB_BYTES)) return null;
    values.push({ eq, glob: patterns });
    const hit =
      `(${column} IN (SELECT value FROM json_each(${param}, ${at}.eq')) ` +
      `OR EXISTS (SELECT 1 FROM json_each(${param}, ${at}.glob') WHERE ${column} GLOB value))`;
    conditions.push(f.negated ? `NOT ${hit}` : hit);
  }
  return { sql: conditions.length === 0 ? "1" : conditions.join(" AND "), value: JSON.stringify(values) };
}

function escapeGlob(text: string): string {
  return text.replace(/[[?]/g, (c) => `[${c}]`);
}

/** The exact names a search is limited to, when it says them (so the read can seek them by index). */
export function exactNames(search: TransactionSearch): string[] | null {
  const f = search.filters.find((x) => x.key === "transaction" && !x.negated && x.values.every((v) => !v.includes("*")));
  return f === undefined ? null : f.values;
}
