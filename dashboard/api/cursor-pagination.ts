import { ApiError } from "./api-error";

/**
 * Sentry's cursor pagination (https://docs.sentry.io/api/pagination/): every list answers a
 * `Link` header with a "previous" and a "next" link, each saying whether it has results and
 * carrying the cursor to pass back. Sentry's cursors read `value:offset:is_prev`; ours are
 * keyset cursors of the same form, `value:id:is_prev` — the sort value and id of the row the
 * page starts after (or, going back, before) — so a page costs an index seek, not an OFFSET, and
 * rows sharing a sort value are neither skipped nor repeated.
 */
export interface Cursor {
  value: number;
  id: number;
  previous: boolean;
}

export interface RowKey {
  value: number;
  id: number;
}

const CURSOR = /^(-?\d{1,16}):(\d{1,16}):([01])$/;

// A cursor that is before every row (next from it is the first page) and one after every row
// (previous from it is the last page): sort values are counts and times, never negative.
const BEFORE_ALL: Cursor = { value: Number.MAX_SAFE_INTEGER, id: 0, previous: false };
const AFTER_ALL: Cursor = { value: -1, id: 0, previous: true };

export function parseCursor(raw: string | undefined): Cursor | null {
  if (raw === undefined || raw === "") return null;
  const match = CURSOR.exec(raw);
  if (match === null) throw new ApiError(400, "cursor: not a cursor this API returned");
  return { value: Number(match[1]), id: Number(match[2]), previous: match[3] === "1" };
}

export function formatCursor(cursor: Cursor): string {
  return `${cursor.value}:${cursor.id}:${cursor.previous ? 1 : 0}`;
}

export interface Page<T> {
  items: T[];
  previous: { cursor: Cursor; results: boolean };
  next: { cursor: Cursor; results: boolean };
}

/**
 * Turns the rows a keyset query returned (up to limit + 1, in the query's order: display order
 * going forward, reversed going back) into a page in display order with both links.
 */
export function keysetPage<T>(rows: T[], limit: number, cursor: Cursor | null, keyOf: (row: T) => RowKey): Page<T> {
  const more = rows.length > limit;
  const goingBack = cursor?.previous === true;
  const items = goingBack ? rows.slice(0, limit).reverse() : rows.slice(0, limit);
  const first = items[0];
  const last = items[items.length - 1];
  if (first === undefined || last === undefined) {
    return goingBack
      ? { items, previous: { cursor: cursor!, results: false }, next: { cursor: BEFORE_ALL, results: true } }
      : { items, previous: { cursor: AFTER_ALL, results: cursor !== null }, next: { cursor: cursor ?? BEFORE_ALL, results: false } };
  }
  return {
    items,
    previous: { cursor: { ...keyOf(first), previous: true }, results: goingBack ? more : cursor !== null },
    next: { cursor: { ...keyOf(last), previous: false }, results: goingBack ? true : more },
  };
}

/** `<url>; rel="previous"; results="false"; cursor="…", <url>; rel="next"; results="true"; cursor="…"` */
export function linkHeader(requestUrl: string, page: Page<unknown>): string {
  const link = (rel: string, { cursor, results }: { cursor: Cursor; results: boolean }) => {
    const url = new URL(requestUrl);
    url.searchParams.set("cursor", formatCursor(cursor));
    return `<${url.toString()}>; rel="${rel}"; results="${results}"; cursor="${formatCursor(cursor)}"`;
  };
  return `${link("previous", page.previous)}, ${link("next", page.next)}`;
}
