/**
 * Ignoring an issue the ways Sentry offers, as the `statusDetails` of PUT /issues/{id}/:
 * forever, until it escalates, for a while (`ignoreDuration`, minutes), until it happens N more
 * times (`ignoreCount`) or until a date (`ignoreUntil`).
 */
export interface IgnoreDetails {
  ignoreCount?: number;
  ignoreUntil?: string;
  ignoreDuration?: number;
  ignoreUntilEscalating?: true;
}

export interface IgnoreChoice {
  label: string;
  details: IgnoreDetails;
}

export const IGNORE_PRESETS: ReadonlyArray<{ group: string; choices: IgnoreChoice[] }> = [
  {
    group: "Ignore",
    choices: [
      { label: "Forever", details: {} },
      { label: "Until it escalates", details: { ignoreUntilEscalating: true } },
    ],
  },
  {
    group: "For",
    choices: [
      { label: "30 minutes", details: { ignoreDuration: 30 } },
      { label: "2 hours", details: { ignoreDuration: 120 } },
      { label: "24 hours", details: { ignoreDuration: 1_440 } },
      { label: "1 week", details: { ignoreDuration: 10_080 } },
    ],
  },
  {
    group: "Until it happens",
    choices: [
      { label: "10 more times", details: { ignoreCount: 10 } },
      { label: "100 more times", details: { ignoreCount: 100 } },
      { label: "1,000 more times", details: { ignoreCount: 1_000 } },
    ],
  },
];

/**
 * The custom form's fields: a count and a local date-time (an `<input type="datetime-local">`
 * value, read in the browser's time zone), either or both. An error names the field.
 */
export function customIgnore(
  fields: { count: string; until: string },
  now: number,
): { details: IgnoreDetails } | { field: "count" | "until"; error: string } {
  const details: IgnoreDetails = {};
  const count = fields.count.trim();
  if (count !== "") {
    if (!/^\d+$/.test(count) || Number(count) < 1 || !Number.isSafeInteger(Number(count)))
      return { field: "count", error: "Enter a whole number of events, 1 or more." };
    details.ignoreCount = Number(count);
  }
  const until = fields.until.trim();
  if (until !== "") {
    // "2026-12-01T09:30" is local time to Date.parse; anything else is not what the input sends.
    const at = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/.test(until) ? Date.parse(until) : Number.NaN;
    if (Number.isNaN(at)) return { field: "until", error: "Enter a date and time." };
    if (at <= now) return { field: "until", error: "Choose a time in the future." };
    details.ignoreUntil = new Date(at).toISOString();
  }
  if (details.ignoreCount === undefined && details.ignoreUntil === undefined)
    return { field: "count", error: "Enter a number of events, a date, or both." };
  return { details };
}

/** What an ignored issue waits for, in words: "until 100 more events or 1 Dec 2026, 09:30". */
export function describeIgnore(
  statusDetails: { ignoreCount?: number | null; ignoreUntil?: string | null; ignoreUntilEscalating?: boolean },
  formatDate: (iso: string) => string,
): string {
  if (statusDetails.ignoreUntilEscalating === true) return "until it escalates";
  const parts: string[] = [];
  if (typeof statusDetails.ignoreCount === "number")
    parts.push(`${statusDetails.ignoreCount.toLocaleString("en-US")} more ${statusDetails.ignoreCount === 1 ? "event" : "events"}`);
  if (typeof statusDetails.ignoreUntil === "string") parts.push(formatDate(statusDetails.ignoreUntil));
  return parts.length === 0 ? "forever" : `until ${parts.join(" or ")}`;
}
