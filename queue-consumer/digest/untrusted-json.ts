/**
 * Readers for values from an untrusted event payload. Sentry's schema is lenient (numbers where
 * strings are expected, nulls everywhere), so each reader answers `undefined` instead of throwing
 * on an odd shape; the caller decides the default.
 */
export type JsonRecord = Record<string, unknown>;

export function isRecord(value: unknown): value is JsonRecord {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function asRecord(value: unknown): JsonRecord | undefined {
  return isRecord(value) ? value : undefined;
}

/** A non-empty string; numbers and booleans are accepted the way Relay's lenient strings are. */
export function asString(value: unknown): string | undefined {
  if (typeof value === "string") return value === "" ? undefined : value;
  if (typeof value === "number" && Number.isFinite(value)) return String(value);
  if (typeof value === "boolean") return String(value);
  return undefined;
}

/** Like asString, but objects and arrays become their JSON text (Relay's JsonLenientString). */
export function asLenientString(value: unknown): string | undefined {
  if (typeof value === "object" && value !== null) {
    try {
      return JSON.stringify(value);
    } catch {
      return undefined;
    }
  }
  return asString(value);
}

export function asNumber(value: unknown): number | undefined {
  if (typeof value === "number" && Number.isFinite(value)) return value;
  if (typeof value === "string" && value.trim() !== "" && Number.isFinite(Number(value))) return Number(value);
  return undefined;
}

export function asBoolean(value: unknown): boolean | undefined {
  return typeof value === "boolean" ? value : undefined;
}

/**
 * Sentry's `Values<T>` container: a list, an object `{values: [...]}`, or (legacy) a single item.
 * Answers the items that are objects.
 */
export function valuesOf(value: unknown): JsonRecord[] {
  let list: unknown;
  if (Array.isArray(value)) list = value;
  else if (isRecord(value)) list = Array.isArray(value.values) ? value.values : "values" in value ? [] : [value];
  else list = [];
  return (list as unknown[]).filter(isRecord);
}

/** Copies the given keys that hold a value, dropping nulls and undefined. */
export function pickDefined(entries: Array<[string, unknown]>): JsonRecord {
  const out: JsonRecord = {};
  for (const [key, value] of entries) if (value !== undefined && value !== null) out[key] = value;
  return out;
}
