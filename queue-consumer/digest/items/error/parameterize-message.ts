/**
 * Replaces the variable parts of a message with placeholders, so "Payment 4412 declined for
 * ann@example.com" and "Payment 98 declined for bob@example.org" group together. The kinds and
 * their placeholders follow Sentry's message parameterization
 * (https://docs.sentry.io/concepts/data-management/event-grouping/#grouping-by-message): emails,
 * URLs, IPs, UUIDs, hashes, dates and times, durations, hex values, numbers, and quoted or boolean
 * values after "=". Patterns are tried together, left to right, the earlier kind winning a tie.
 */
const MONTH = "(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)";
const WEEKDAY = "(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)";
const HEX4 = "[0-9a-fA-F]{1,4}";

const KINDS: Array<[name: string, pattern: string]> = [
  ["email", String.raw`[a-zA-Z0-9.!#$%&'*+/=?^_\x60{|}~-]+@[a-zA-Z0-9-]+(?:\.[a-zA-Z0-9-]+)+`],
  ["url", String.raw`\b(?:wss?|https?|ftp)://[^\s/$.?#][^\s]*`],
  ["uuid", String.raw`\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b`],
  [
    "date",
    [
      String.raw`\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2}\b)?`,
      String.raw`\b${WEEKDAY}, \d{1,2} ${MONTH} \d{4} \d{2}:\d{2}:\d{2} (?:GMT|UTC|[+-]\d{4})`,
      String.raw`\b${WEEKDAY} ${MONTH} \d{2} \d{4} \d{2}:\d{2}:\d{2} GMT[+-]\d{4}(?: \([^)]+\))?`,
      String.raw`\b\d{4}-\d{2}-\d{2}\b`,
      String.raw`(?<![\d:])\d{1,2}:\d{2}(?::\d{2})?(?:\.\d+)?(?: ?[AaPp][Mm])?(?![\d:])`,
    ].join("|"),
  ],
  [
    "ip",
    [
      String.raw`\b(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)\b`,
      String.raw`(?<![\w:])(?:(?:${HEX4}:){7}${HEX4}|(?:${HEX4}(?::${HEX4}){0,6})?::(?:${HEX4}(?::${HEX4}){0,6})?)(?![\w:])`,
    ].join("|"),
  ],
  ["sha1", String.raw`\b[0-9a-fA-F]{40}\b`],
  ["md5", String.raw`\b[0-9a-fA-F]{32}\b`],
  ["duration", String.raw`\b\d+(?:\.\d+)?(?:ms|s)\b`],
  // Hex needs a 0x prefix, or 8+ digits of one case with at least one digit and one letter
  // (all-digit runs are numbers).
  ["hex", String.raw`\b0[xX][0-9a-fA-F]+\b|\b(?=[a-f]*\d)(?=\d*[a-f])[0-9a-f]{8,128}\b|\b(?=[A-F]*\d)(?=\d*[A-F])[0-9A-F]{8,128}\b`],
  ["float", String.raw`(?:\b|(?<!\w)-)\d+\.\d+\b`],
  ["int", String.raw`(?:\b|(?<!\w)-)\d+\b`],
  ["quoted_str", String.raw`(?<==)(?:'[^']+'|"[^"]+")`],
  ["bool", String.raw`(?<==)(?:[Tt]rue|[Ff]alse)\b`],
];

const COMBINED = new RegExp(KINDS.map(([name, pattern]) => `(?<${name}>${pattern})`).join("|"), "g");

export function parameterizeMessage(message: string): string {
  return message.replace(COMBINED, (match, ...rest) => {
    const groups = rest[rest.length - 1] as Record<string, string | undefined>;
    const kind = KINDS.find(([name]) => groups[name] !== undefined)?.[0];
    // A bare "::" (as in Class::method) is not an address.
    if (kind === undefined || (kind === "ip" && match === "::")) return match;
    return `<${kind}>`;
  });
}

/**
 * What Sentry groups a message by: its first two non-empty lines ("..." marks a cut), with the
 * variable parts replaced.
 */
export function normalizeMessageForGrouping(message: string): string {
  const lines = message.split(/\r?\n/).filter((line) => line.trim() !== "");
  let trimmed = lines.slice(0, 2).join("\n").trim();
  if (lines.length > 2) trimmed += "...";
  return parameterizeMessage(trimmed);
}
