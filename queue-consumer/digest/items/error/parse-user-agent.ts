/**
 * Browser and OS contexts from a User-Agent header, as Relay derives them for events that carry
 * one (https://develop.sentry.dev/sdk/data-model/event-payloads/contexts/#browser-context).
 * Covers the browsers and systems that send nearly all traffic; anything else is left unknown.
 */
export interface UserAgentContexts {
  browser?: { name: string; version?: string };
  os?: { name: string; version?: string };
}

const BROWSERS: Array<[RegExp, string]> = [
  [/\bEdg(?:e|A|iOS)?\/([\d.]+)/, "Edge"],
  [/\bOPR\/([\d.]+)/, "Opera"],
  [/\bSamsungBrowser\/([\d.]+)/, "Samsung Internet"],
  [/\b(?:Firefox|FxiOS)\/([\d.]+)/, "Firefox"],
  [/\bHeadlessChrome\/([\d.]+)/, "HeadlessChrome"],
  [/\bCriOS\/([\d.]+)/, "Chrome Mobile iOS"],
  [/\bChrome\/([\d.]+) Mobile\b/, "Chrome Mobile"],
  [/\bChrome\/([\d.]+)/, "Chrome"],
  [/\bVersion\/([\d.]+).*Mobile\/\S+ Safari\//, "Mobile Safari"],
  [/\bVersion\/([\d.]+).*Safari\//, "Safari"],
];

const SYSTEMS: Array<[RegExp, string, (match: RegExpExecArray) => string | undefined]> = [
  [/\bWindows NT (\d+\.\d+)/, "Windows", (m) => WINDOWS_VERSIONS[m[1]!] ?? m[1]],
  [/\b(?:iPhone|CPU) OS (\d+(?:_\d+)*)/, "iOS", (m) => m[1]!.replaceAll("_", ".")],
  [/\bMac OS X (\d+(?:[_.]\d+)*)/, "Mac OS X", (m) => m[1]!.replaceAll("_", ".")],
  [/\bAndroid (\d+(?:\.\d+)*)/, "Android", (m) => m[1]],
  [/\bCrOS\b/, "Chrome OS", () => undefined],
  [/\bUbuntu\b/, "Ubuntu", () => undefined],
  [/\bLinux\b/, "Linux", () => undefined],
];

const WINDOWS_VERSIONS: Record<string, string> = { "10.0": "10", "6.3": "8.1", "6.2": "8", "6.1": "7" };

export function parseUserAgent(userAgent: string): UserAgentContexts {
  const out: UserAgentContexts = {};
  for (const [pattern, name] of BROWSERS) {
    const match = pattern.exec(userAgent);
    if (match) {
      out.browser = { name, version: majorMinorPatch(match[1]!) };
      break;
    }
  }
  for (const [pattern, name, version] of SYSTEMS) {
    const match = pattern.exec(userAgent);
    if (match) {
      const v = version(match);
      out.os = v === undefined ? { name } : { name, version: v };
      break;
    }
  }
  return out;
}

/** Sentry shows browser versions as three components ("150.0.0" for "150.0.0.0"). */
function majorMinorPatch(version: string): string {
  return version.split(".").slice(0, 3).join(".");
}
