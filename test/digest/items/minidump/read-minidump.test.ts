import { describe, expect, it } from "vitest";
import { readMinidump } from "../../../../queue-consumer/digest/items/minidump/read-minidump";
import { LINUX, WINDOWS, buildMinidump } from "../../../support/crashpad-upload";

describe("readMinidump", () => {
  it("reads the header's time, the writer, the system info and the exception", () => {
    const dump = buildMinidump({
      platformId: WINDOWS,
      code: 0xc0000005,
      parameters: [1n, 0x18n],
      address: 0x7ff612345678n,
      threadId: 9001,
      writtenAt: 1_782_900_000,
      version: [10, 0, 22631],
    });
    expect(readMinidump(dump)).toEqual({
      writtenAt: 1_782_900_000,
      writer: "crashpad",
      system: { platformId: WINDOWS, majorVersion: 10, minorVersion: 0, buildNumber: 22631 },
      exception: { threadId: 9001, code: 0xc0000005, flags: 0, address: 0x7ff612345678n, parameters: [1n, 0x18n] },
    });
  });

  it("reads a big-endian minidump (PMDM) the same", () => {
    const shape = { platformId: LINUX, code: 11, flags: 1, parameters: [], writtenAt: 1_782_900_000 };
    expect(readMinidump(buildMinidump({ ...shape, bigEndian: true }))).toEqual(readMinidump(buildMinidump(shape)));
    expect(readMinidump(buildMinidump({ ...shape, bigEndian: true }))?.exception).toMatchObject({ code: 11, flags: 1 });
  });

  it("has no exception for a dump written without a crash", () => {
    const crash = readMinidump(buildMinidump({ noException: true }));
    expect(crash?.exception).toBeNull();
    expect(crash?.system?.platformId).toBe(WINDOWS);
  });

  it("reads at most the 15 parameters MINIDUMP_EXCEPTION holds, whatever NumberParameters claims", () => {
    const dump = buildMinidump({ parameters: [1n] });
    // NumberParameters sits 32 bytes into the exception stream, the first stream after a 3-entry directory.
    new DataView(dump.buffer).setUint32(32 + 3 * 12 + 32, 0xffffffff, true);
    expect(readMinidump(dump)?.exception?.parameters).toHaveLength(15);
  });

  it("answers null for what is not a minidump", () => {
    expect(readMinidump(new Uint8Array())).toBeNull();
    expect(readMinidump(new TextEncoder().encode("MDMP but nothing else"))).toBeNull();
    const wrongVersion = buildMinidump();
    wrongVersion[4] = 0;
    expect(readMinidump(wrongVersion)).toBeNull();
    const notMagic = buildMinidump();
    notMagic[0] = 0x4e;
    expect(readMinidump(notMagic)).toBeNull();
  });

  it("answers null when the directory lies past the end", () => {
    const dump = buildMinidump();
    new DataView(dump.buffer).setUint32(12, dump.byteLength - 4, true);
    expect(readMinidump(dump)).toBeNull();
    const many = buildMinidump();
    new DataView(many.buffer).setUint32(8, 0xffffffff, true);
    expect(readMinidump(many)).toBeNull();
  });

  it("skips a stream that points past the end or is smaller than its structure, never reading out of bounds", () => {
    const pastEnd = buildMinidump();
    new DataView(pastEnd.buffer).setUint32(32 + 8, pastEnd.byteLength - 100, true);
    expect(readMinidump(pastEnd)).toMatchObject({ exception: null, system: { platformId: WINDOWS } });
    const small = buildMinidump();
    new DataView(small.buffer).setUint32(32 + 4, 100, true);
    expect(readMinidump(small)?.exception).toBeNull();
  });

  it("survives every truncation and random damage of a real-shaped minidump", () => {
    const dump = buildMinidump({ platformId: LINUX, code: 11, flags: 1 });
    for (let length = 0; length <= dump.byteLength; length++) expect(() => readMinidump(dump.subarray(0, length))).not.toThrow();
    let seed = 7;
    const random = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
    for (let round = 0; round < 500; round++) {
      const damaged = dump.slice();
      for (let i = 0; i < 8; i++) damaged[Math.floor(random() * damaged.byteLength)] = Math.floor(random() * 256);
      expect(() => readMinidump(damaged)).not.toThrow();
    }
  });
});
