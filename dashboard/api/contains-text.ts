/**
 * Free-text matching for the API's searches (issues, releases): a substring, case-insensitive for
 * ASCII, within D1's limits.
 */
import { type SQL, type SQLWrapper, sql } from "drizzle-orm";

/** D1 refuses a LIKE or GLOB pattern over 50 bytes (https://developers.cloudflare.com/d1/platform/limits/). */
const MAX_LIKE_PATTERN_BYTES = 50;

/**
 * `column` contains `text`, case-insensitively for ASCII as SQLite's LIKE is, with % and _ plain
 * characters. LIKE while its pattern fits D1's limit (the cheaper of the two); over it, instr()
 * over lower(), which folds ASCII only as LIKE does, so both find the same rows.
 */
export function containsText(column: SQLWrapper, text: string): SQL {
  const pattern = `%${text.replace(/[\\%_]/g, "\\$&")}%`;
  if (new TextEncoder().encode(pattern).length <= MAX_LIKE_PATTERN_BYTES) return sql`${column} LIKE ${pattern} ESCAPE '\\'`;
  return sql`instr(lower(${column}), lower(${text})) > 0`;
}
