import { asLenientString, asString, isRecord, pickDefined, type JsonRecord } from "../../untrusted-json";
import { LIMITS, truncate } from "../../trim-event-data";

/**
 * The message interface (https://develop.sentry.dev/sdk/data-model/event-payloads/message/):
 * `logentry` (or the legacy `message` / `sentry.interfaces.Message`) is a plain string or
 * `{message, params, formatted}`. `message` is the template, `params` fill its printf-style
 * placeholders (`%s` positional, `%(name)s` named); `formatted` is the final text.
 */
export interface Logentry {
  formatted: string;
  /** The template, kept only when it differs from the formatted text (it is what grouping uses). */
  message?: string;
  params?: unknown[] | JsonRecord;
}

export function normalizeLogentry(value: unknown): Logentry | null {
  if (typeof value === "string" || typeof value === "number") {
    const formatted = String(value).trim() === "" ? undefined : String(value);
    return formatted === undefined ? null : { formatted: truncate(formatted, LIMITS.message) };
  }
  if (!isRecord(value)) return null;
  const template = asString(value.message);
  const params = Array.isArray(value.params) || isRecord(value.params) ? (value.params as unknown[] | JsonRecord) : undefined;
  let formatted = asString(value.formatted);
  if (formatted === undefined && template !== undefined) {
    formatted = params === undefined ? template : formatMessage(template, params);
  }
  if (formatted === undefined) return null;
  const out = pickDefined([
    ["formatted", truncate(formatted, LIMITS.message)],
    ["message", template !== undefined && template !== formatted ? truncate(template, LIMITS.message) : undefined],
    ["params", params],
  ]);
  return out as unknown as Logentry;
}

const PLACEHOLDER = /%(?:\(([^)]*)\))?([-#0 +]*\d*(?:\.\d+)?)([sdifrxXeEgGcoa%])/g;

/**
 * Applies printf-style params as Python's `%` operator would for the common conversions. A
 * template that does not fit its params is returned unchanged rather than half-formatted.
 */
export function formatMessage(template: string, params: unknown[] | JsonRecord): string {
  let position = 0;
  let failed = false;
  const result = template.replace(PLACEHOLDER, (whole, name: string | undefined, flags: string, conversion: string) => {
    if (conversion === "%") return "%";
    let param: unknown;
    if (name !== undefined) {
      if (!isRecord(params) || !(name in params)) return ((failed = true), whole);
      param = params[name];
    } else {
      if (!Array.isArray(params) || position >= params.length) return ((failed = true), whole);
      param = params[position++];
    }
    return formatParam(param, conversion, flags);
  });
  return failed ? template : result;
}

function formatParam(param: unknown, conversion: string, flags: string): string {
  if ((conversion === "d" || conversion === "i") && typeof param === "number") return String(Math.trunc(param));
  if (conversion === "f" && typeof param === "number") {
    const precision = /\.(\d+)/.exec(flags)?.[1];
    return param.toFixed(precision === undefined ? 6 : Number(precision));
  }
  if (conversion === "r" && typeof param === "string") return `'${param}'`;
  if (param === null) return "None";
  if (typeof param === "boolean") return param ? "True" : "False";
  return asLenientString(param) ?? "";
}
