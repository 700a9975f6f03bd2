/**
 * The Web Vitals Faultline keeps percentiles of, as Sentry names them: `measurements.<name>` on a
 * transaction event (https://develop.sentry.dev/sdk/foundations/transport/event-payloads/transaction/#measurements),
 * `browser.web_vital.<name>.value` on a span of a span stream (@sentry/browser 10+). All are
 * milliseconds but CLS, a unitless score.
 */
export const WEB_VITALS = ["lcp", "fcp", "cls", "inp", "ttfb"] as const;

export type WebVital = (typeof WEB_VITALS)[number];

export function isWebVital(name: string): name is WebVital {
  return (WEB_VITALS as readonly string[]).includes(name);
}

export function webVitalUnit(name: WebVital): "millisecond" | null {
  return name === "cls" ? null : "millisecond";
}
