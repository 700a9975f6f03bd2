/**
 * Size limits Sentry applies to stored events, with Relay's numbers (relay-event-schema field
 * attributes and relay-event-normalization/src/trimming.rs; summarised in
 * https://develop.sentry.dev/sdk/data-model/envelopes/#size-limits and the payload docs under
 * https://develop.sentry.dev/sdk/data-model/event-payloads/).
 */
export const LIMITS = {
  /** MaxChars::Message: messages, exception values, breadcrumb messages. */
  message: 8192,
  /** MaxChars::Culprit and transaction names. */
  culprit: 200,
  /** Tag keys and values: Relay drops (not trims) tags longer than this. */
  tagKey: 200,
  tagValue: 200,
  /** MaxChars::Environment; also the dist. */
  environment: 64,
  release: 200,
  /** MaxChars::Logger. */
  logger: 64,
  /** MaxChars::Symbol: function names. */
  symbol: 256,
  /** MaxChars::Path: file names, URLs. */
  path: 256,
  /** Sentry keeps the newest 100 breadcrumbs (the SDKs' default max_breadcrumbs). */
  breadcrumbs: 100,
  /** Frames per stack trace (Relay's hard limit). */
  frames: 250,
  /** Frames past this many lose vars and pre/post context in the middle (Relay's slim_frame_data). */
  framesWithData: 50,
} as const;

/** Relay's bag sizes: how deep and how large (estimated JSON bytes) a free-form data bag may be. */
export interface BagSize {
  maxDepth: number;
  maxBytes: number;
}
export const BAG = {
  /** query_string */
  small: { maxDepth: 3, maxBytes: 1024 },
  /** frame vars, breadcrumb data, mechanism data */
  medium: { maxDepth: 5, maxBytes: 2048 },
  /** each context, request data and headers */
  large: { maxDepth: 7, maxBytes: 8192 },
  /** extra */
  massive: { maxDepth: 7, maxBytes: 262_144 },
} as const satisfies Record<string, BagSize>;

const ELLIPSIS = "...";

/** Cuts a string to `max` characters, ending in "..." as Relay does, without splitting a surrogate pair. */
export function truncate(value: string, max: number): string {
  if (value.length <= max) return value;
  if (max <= ELLIPSIS.length) return value.slice(0, max);
  let end = max - ELLIPSIS.length;
  const code = value.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end -= 1;
  return value.slice(0, end) + ELLIPSIS;
}

/**
 * Trims a free-form data bag the way Relay's TrimmingProcessor does: at the last level of depth,
 * objects and arrays become their JSON text; once the size budget is spent, strings are cut and
 * later items are dropped.
 */
export function trimDatabag(value: unknown, bag: BagSize): unknown {
  const budget = { remaining: bag.maxBytes };
  return trimValue(value, bag.maxDepth, budget);
}

function trimValue(value: unknown, depthLeft: number, budget: { remaining: number }): unknown {
  if (value === null || typeof value === "boolean" || typeof value === "number") {
    budget.remaining -= String(value).length + 1;
    return value;
  }
  if (typeof value === "string") {
    const trimmed = budget.remaining < value.length + 2 ? truncate(value, Math.max(budget.remaining, 0)) : value;
    budget.remaining -= trimmed.length + 3;
    return trimmed;
  }
  if (typeof value !== "object") return null;
  if (depthLeft <= 1) return trimValue(safeStringify(value), 1, budget);
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    for (const item of value) {
      if (budget.remaining <= 0) break;
      out.push(trimValue(item, depthLeft - 1, budget));
    }
    return out;
  }
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    if (budget.remaining <= 0) break;
    budget.remaining -= key.length + 3;
    out[key] = trimValue(item, depthLeft - 1, budget);
  }
  return out;
}

function safeStringify(value: unknown): string {
  try {
    return JSON.stringify(value) ?? "null";
  } catch {
    return "[unserializable]";
  }
}
