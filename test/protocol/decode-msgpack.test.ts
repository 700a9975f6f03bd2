import { describe, expect, it } from "vitest";
import { MsgpackDecodeError, decodeMsgpack, decodeMsgpackSequence } from "../../protocol/decode-msgpack";
import { breadcrumbFile, crashScopeEvent, encodeMsgpack } from "../support/crashpad-upload";

const bytes = (...b: number[]) => new Uint8Array(b);
const hex = (text: string) => new Uint8Array(text.match(/../g)!.map((h) => Number.parseInt(h, 16)));

describe("decodeMsgpack", () => {
  // Byte strings written out from the MessagePack spec, not by our own encoder.
  const cases: Array<[string, Uint8Array, unknown]> = [
    ["positive fixint", bytes(0x7f), 127],
    ["negative fixint", bytes(0xe0), -32],
    ["nil, false, true", bytes(0x93, 0xc0, 0xc2, 0xc3), [null, false, true]],
    [
      "uint8, uint16, uint32, uint64",
      hex("94cc ffcd ffff ceffffffff cf0000000100000000".replaceAll(" ", "")),
      [255, 65535, 4294967295, 4294967296],
    ],
    ["int8, int16, int32, int64", hex("94d080d18000d280000000d3ffffffffffffffff"), [-128, -32768, -2147483648, -1]],
    ["float32 and float64", hex("92ca3fc00000cb400921fb54442d18"), [1.5, Math.PI]],
    ["fixstr, str8, str16, str32", hex("94a161d90162da000163db00000001 64".replaceAll(" ", "")), ["a", "b", "c", "d"]],
    ["UTF-8 text, a BOM kept", hex("a6efbbbfc3a96f"), "\ufeffé" + "o"],
    ["fixmap with nested array", hex("82a16101a16292c0a163"), { a: 1, b: [null, "c"] }],
    ["map16 and array16", hex("de0001a178dc0002 0102".replaceAll(" ", "")), { x: [1, 2] }],
    ["map32 and array32", hex("df00000001a178dd0000000103"), { x: [3] }],
  ];
  for (const [what, input, expected] of cases) {
    it(`reads ${what}`, () => {
      expect(decodeMsgpack(input)).toEqual(expected);
    });
  }

  it("reads what sentry-native writes for its scope event", () => {
    expect(decodeMsgpack(encodeMsgpack(crashScopeEvent))).toEqual(crashScopeEvent);
  });

  it('keeps a "__proto__" key as an own value, never as the prototype', () => {
    const value = decodeMsgpack(hex("81a95f5f70726f746f5f5f81a17801")) as Record<string, unknown>;
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(Object.keys(value)).toEqual(["__proto__"]);
    expect(JSON.stringify(value)).toBe('{"__proto__":{"x":1}}');
  });

  const refused: Array<[string, Uint8Array, RegExp]> = [
    ["an empty input", bytes(), /cut short/],
    ["a string cut short", hex("a5616263"), /cut short/],
    ["a uint32 cut short", hex("ce0001"), /cut short/],
    ["bytes after the value", bytes(0x01, 0x02), /1 bytes after/],
    ["the reserved byte 0xc1", bytes(0xc1), /reserved/],
    ["a binary value", hex("c40100"), /binary/],
    ["an extension value", hex("d6ff00000000"), /extension/],
    ["a map key that is not a string", hex("810102"), /not a string/],
    ["invalid UTF-8", hex("a2c328"), /UTF-8/],
    ["an array claiming more items than bytes", hex("ddffffffff00"), /more items than bytes/],
    ["a map claiming more entries than bytes", hex("dfffffffff"), /more items than bytes/],
    ["nesting past 100 levels", new Uint8Array(101).fill(0x91), /nested deeper/],
  ];
  for (const [what, input, message] of refused) {
    it(`refuses ${what}`, () => {
      expect(() => decodeMsgpack(input)).toThrow(MsgpackDecodeError);
      expect(() => decodeMsgpack(input)).toThrow(message);
    });
  }

  it("reads nesting up to 100 levels", () => {
    const nested = new Uint8Array(100).fill(0x91);
    nested[99] = 0x90;
    expect(() => decodeMsgpack(nested)).not.toThrow();
  });
});

describe("decodeMsgpackSequence", () => {
  it("reads values written one after another, as a breadcrumb file holds them", () => {
    const crumbs = [{ message: "one", timestamp: "2026-07-01T09:59:50.000Z" }, { message: "two" }, { message: "three", data: { n: 3 } }];
    expect(decodeMsgpackSequence(breadcrumbFile(crumbs), 100)).toEqual({ values: crumbs, error: null });
  });

  it("keeps the values before a write the crash cut short, and says why it stopped", () => {
    const file = breadcrumbFile([{ message: "one" }, { message: "two" }]);
    const { values, error } = decodeMsgpackSequence(file.subarray(0, file.byteLength - 2), 100);
    expect(values).toEqual([{ message: "one" }]);
    expect(error).toMatch(/cut short/);
  });

  it("stops at its limit of values, and a payload at the decoder's limit of values in all", () => {
    // A megabyte of one-byte empty maps would otherwise be a million objects.
    const flood = new Uint8Array(1_048_576).fill(0x80);
    const { values, error } = decodeMsgpackSequence(flood, 500);
    expect(values).toHaveLength(500);
    expect(error).toMatch(/more than 500 values/);
    expect(() => decodeMsgpack(new Uint8Array([0xdd, 0x00, 0x0f, 0xff, 0xff, ...new Uint8Array(1_048_575).fill(0x80)]))).toThrow(
      /more values than a payload may hold/,
    );
  });

  it("reads nothing from an empty file", () => {
    expect(decodeMsgpackSequence(new Uint8Array(), 100)).toEqual({ values: [], error: null });
  });
});
