import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { matchesTransactionSearch, parseTransactionSearch, transactionSearchSql } from "../../../dashboard/api/discover/transaction-search";

/** Rollup keys with what trips SQL up: case, GLOB's [ and ?, LIKE's % and _, line breaks, Unicode. */
const ROWS = [
  ["GET /orders", "http.server", "production", "shop@1"],
  ["get /ORDERS/:id", "http.server", "staging", "shop@2"],
  ["/api/[id]", "http.server", "production", ""],
  ["/api/x", "db", "", "shop@1"],
  ["what?", "task", "production", "shop@1"],
  ["a\nb", "task", "staging", ""],
  ["İstanbul", "pageload", "production", "shop@2"],
  ["\u212aelvin", "pageload", "", ""],
  ["50%_off", "http.server", "production", "shop@1"],
  ["/cart", "pageload", "production", "shop@1"],
  ["Ünïcode ünïcode", "navigation", "staging", "shop@2"],
  ["x*y", "http.server", "production", "shop@1"],
].map(([name, op, environment, release]) => ({ name: name!, op: op!, environment: environment!, release: release! }));

async function selectedBySql(query: string): Promise<string[] | null> {
  const where = transactionSearchSql(parseTransactionSearch(query), "?5");
  if (where === null) return null;
  const { results } = await env.DB.prepare(
    `WITH t AS (SELECT json_extract(value, '$.name') AS name, json_extract(value, '$.op') AS op,
       json_extract(value, '$.environment') AS environment, json_extract(value, '$.release') AS release FROM json_each(?1))
     SELECT name FROM t WHERE ${where.sql} AND ?5 IS NOT NULL`,
  )
    .bind(JSON.stringify(ROWS), null, null, null, where.value)
    .all<{ name: string }>();
  return results.map((r) => r.name);
}

describe("transactionSearchSql", () => {
  it("selects exactly the rows matchesTransactionSearch matches", async () => {
    const queries = [
      "",
      "orders",
      "ORDERS",
      "i",
      "kelvin",
      "%_",
      "transaction:/api/[id]",
      "transaction:/api/[*",
      "transaction:what?",
      "transaction:*?",
      "transaction:a*b",
      "transaction:50%_*",
      "transaction:x*y",
      "!transaction:*orders*",
      "!transaction:*ORDERS*",
      "transaction.op:http* environment:production",
      "!environment:[production, staging]",
      'release:"" transaction:[/cart, x*y, /api/*]',
      "event.type:transaction !release:shop@1 code",
      "transaction:*ünïcode*",
    ];
    for (const query of queries) {
      const search = parseTransactionSearch(query);
      const expected = ROWS.filter((r) => matchesTransactionSearch(search, r)).map((r) => r.name);
      expect(await selectedBySql(query), query).toEqual(expected);
    }
  });

  it("leaves a pattern with a NUL to the function: GLOB would end the pattern there", async () => {
    const rows = [{ name: "a" }, { name: "a\0b" }].map((r) => ({ ...r, op: "", environment: "", release: "" }));
    for (const query of ["transaction:a\0*", "!transaction:a\0*"]) {
      const search = parseTransactionSearch(query);
      expect(transactionSearchSql(search, "?5"), query).toBeNull();
      expect(rows.filter((r) => matchesTransactionSearch(search, r)).map((r) => r.name)).toEqual(query.startsWith("!") ? ["a"] : ["a\0b"]);
    }
    // Text and exact values with a NUL compare whole in SQL too.
    expect(await selectedBySql("transaction:[a\0b, x] a\0")).toEqual([]);
  });

  it("matches a pattern of many stars in the function without backtracking", () => {
    const search = parseTransactionSearch(`transaction:${"*a".repeat(30)}*b`);
    const row = (name: string) => ({ name, op: "", environment: "", release: "" });
    expect(matchesTransactionSearch(search, row("a".repeat(100)))).toBe(false);
    expect(matchesTransactionSearch(search, row(`${"a".repeat(100)}b`))).toBe(true);
    expect(matchesTransactionSearch(search, row(`${"a".repeat(29)}b`))).toBe(false);
    expect(matchesTransactionSearch(parseTransactionSearch("transaction:ab*ba"), row("aba"))).toBe(false);
    expect(matchesTransactionSearch(parseTransactionSearch("transaction:ab*ba"), row("abba"))).toBe(true);
  });

  it("leaves a text that is not ASCII to the function, which lower-cases by Unicode", async () => {
    expect(await selectedBySql("ünïcode")).toBeNull();
    expect(ROWS.filter((r) => matchesTransactionSearch(parseTransactionSearch("ünïcode"), r)).map((r) => r.name)).toEqual([
      "Ünïcode ünïcode",
    ]);
  });
});
