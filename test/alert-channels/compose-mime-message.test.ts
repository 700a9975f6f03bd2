import { env } from "cloudflare:test";
import { EmailMessage } from "cloudflare:email";
import { describe, expect, it } from "vitest";
import { composeMimeMessage, encodeHeaderText } from "../../alert-channels/compose-mime-message";

const message = {
  from: { name: "Faultline", address: "alerts@faultline.local" },
  to: "oncall@example.com",
  subject: "[checkout-api] CHECKOUT-API-SZ: SyntaxError: Expected property name or '}' in JSON at position 1",
  text: "A new issue was created.\n\nSyntaxError: Expected property name\n",
  html: "<p>A new issue was created.</p>",
  date: new Date(Date.UTC(2026, 10, 20, 9, 14, 53)),
  messageId: "3f0a7c3e-1b2d-4f4e-9a8b-7c6d5e4f3a2b@faultline.local",
};

/** RFC 2047 encoded words back to text (what a mail client shows). */
function decodeHeader(value: string): string {
  // RFC 2047 §6.2: white space between adjacent encoded words is not shown.
  return value.replace(/\?=\s+=\?/g, "?==?").replace(/=\?UTF-8\?B\?([A-Za-z0-9+/=]+)\?=/g, (_m, b64: string) => {
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    return new TextDecoder().decode(bytes);
  });
}

function parse(raw: string) {
  const [head, ...rest] = raw.split("\r\n\r\n");
  const headers = new Map<string, string>();
  for (const line of head!.replace(/\r\n /g, " ").split("\r\n")) {
    const colon = line.indexOf(":");
    headers.set(line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim());
  }
  const boundary = /boundary="([^"]+)"/.exec(headers.get("content-type") ?? "")?.[1];
  const parts = rest
    .join("\r\n\r\n")
    .split(`--${boundary}`)
    .slice(1, -1)
    .map((part) => {
      const [partHead, body] = part.replace(/^\r\n/, "").split("\r\n\r\n");
      const bytes = Uint8Array.from(atob(body!.replace(/\r\n/g, "")), (c) => c.charCodeAt(0));
      return { head: partHead!, text: new TextDecoder().decode(bytes), lines: body!.trim().split("\r\n") };
    });
  return { headers, parts, closed: raw.includes(`--${boundary}--\r\n`) };
}

describe("composeMimeMessage", () => {
  it("is a multipart/alternative message with the headers mail needs, every line CRLF-ended", () => {
    const raw = composeMimeMessage(message);
    const { headers, parts, closed } = parse(raw);
    expect(headers.get("from")).toBe("Faultline <alerts@faultline.local>");
    expect(headers.get("to")).toBe("oncall@example.com");
    expect(headers.get("date")).toBe("Fri, 20 Nov 2026 09:14:53 +0000");
    expect(headers.get("message-id")).toBe(`<${message.messageId}>`);
    expect(headers.get("mime-version")).toBe("1.0");
    expect(headers.get("auto-submitted")).toBe("auto-generated");
    expect(decodeHeader(headers.get("subject")!)).toBe(message.subject);
    expect(parts.map((p) => p.head)).toEqual([
      "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64",
      "Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: base64",
    ]);
    expect(parts.map((p) => p.text)).toEqual([message.text, message.html]);
    expect(closed).toBe(true);
    expect(raw.replace(/\r\n/g, "")).not.toMatch(/[\r\n]/);
    for (const line of raw.split("\r\n")) expect(line.length).toBeLessThanOrEqual(78);
  });

  it("encodes any subject as ASCII words of at most 75 characters, never splitting a character", () => {
    const subject = `Ошибка: ${"💥€ü".repeat(40)} — ${"x".repeat(100)}`;
    const encoded = encodeHeaderText(subject);
    expect(encoded).toMatch(/^[\x20-\x7e\r\n]+$/);
    for (const word of encoded.split("\r\n ")) expect(word.length).toBeLessThanOrEqual(75);
    expect(decodeHeader(encoded)).toBe(subject);
    expect(encodeHeaderText("plain and short")).toBe("plain and short");
  });

  it("refuses header values with line breaks (header injection)", () => {
    expect(() => composeMimeMessage({ ...message, to: "a@example.com\r\nBcc: all@example.com" })).toThrow(/line break/);
  });

  it("is accepted by the send_email binding, which parses it and checks its Message-ID and From", async () => {
    const raw = composeMimeMessage({ ...message, subject: `Ünïcödé ${"🔥".repeat(30)}`, text: "Grüße 💥", html: "<p>Grüße 💥</p>" });
    await expect(env.EMAIL!.send(new EmailMessage(message.from.address, message.to, raw))).resolves.toBeDefined();
  });
});
