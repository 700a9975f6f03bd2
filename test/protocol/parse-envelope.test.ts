import { describe, expect, it } from "vitest";
import { EnvelopeParseError, parseEnvelope, parseItemJson } from "../../protocol/parse-envelope";
import { sdkEnvelopes } from "../support/fixtures";

const enc = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array) => new TextDecoder().decode(b);

describe("parseEnvelope", () => {
  it("parses every captured SDK envelope", () => {
    for (const [name, body] of Object.entries(sdkEnvelopes)) {
      const envelope = parseEnvelope(enc(body));
      expect(envelope.items.length, name).toBeGreaterThan(0);
      for (const item of envelope.items) expect(() => parseItemJson(item), name).not.toThrow();
    }
    const node = parseEnvelope(enc(sdkEnvelopes.nodeException));
    expect(node.header.event_id).toBe("91ef9d7711054d688e0faf237f3eb262");
    expect(node.items.map((i) => i.type)).toEqual(["event"]);
  });

  it("honours length, including payloads that contain newlines, and binary payloads", () => {
    const attachment = "line 1\nline 2\n";
    const body = `{"event_id":"9ec79c33ec9942ab8353589fcb2e04dc"}\n{"type":"attachment","length":${attachment.length},"filename":"a.txt"}\n${attachment}\n{"type":"event","length":2}\n{}`;
    const envelope = parseEnvelope(enc(body));
    expect(envelope.items.map((i) => [i.type, text(i.payload)])).toEqual([
      ["attachment", attachment],
      ["event", "{}"],
    ]);
  });

  it("reads newline-delimited items with or without a trailing newline, and CRLF", () => {
    for (const body of ['{}\n{"type":"event"}\n{"a":1}', '{}\n{"type":"event"}\n{"a":1}\n', '{}\r\n{"type":"event"}\r\n{"a":1}\r\n']) {
      const envelope = parseEnvelope(enc(body));
      expect(envelope.items).toHaveLength(1);
      expect(text(envelope.items[0]?.payload ?? new Uint8Array())).toBe('{"a":1}');
    }
  });

  it("accepts an empty payload at the end and a zero length", () => {
    expect(parseEnvelope(enc('{}\n{"type":"client_report","length":0}')).items[0]?.payload.byteLength).toBe(0);
    expect(parseEnvelope(enc('{}\n{"type":"session"}')).items[0]?.payload.byteLength).toBe(0);
  });

  it("throws a named error for each malformation", () => {
    for (const body of [
      "",
      "nope",
      "{}\n[]",
      '{}\n{"length":1}\nx',
      '{}\n{"type":"event","length":5}\n{}',
      '{}\n{"type":"event","length":"2"}\n{}',
    ]) {
      expect(() => parseEnvelope(enc(body)), body).toThrow(EnvelopeParseError);
    }
  });
});
