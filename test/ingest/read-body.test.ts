import zlib from "node:zlib";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { readBody } from "../../worker/read-body";
import { RefusedError } from "../../worker/refusal";

const LIMIT = 64 * 1024;

function streamOf(bytes: Uint8Array): ReadableStream<Uint8Array> {
  return new Blob([bytes]).stream();
}

async function rejectionOf(run: Promise<unknown>) {
  try {
    await run;
  } catch (e) {
    if (e instanceof RefusedError) return e.refusal;
    throw e;
  }
  return null;
}

const globals = globalThis as unknown as { DecompressionStream: typeof DecompressionStream };
const RealDecompressionStream = globals.DecompressionStream;
let decompressionStreams = 0;

// Counts the stream path's inflations (a plain spy on the class breaks the streams it makes).
beforeEach(() => {
  decompressionStreams = 0;
  globals.DecompressionStream = function (format: ConstructorParameters<typeof DecompressionStream>[0]) {
    decompressionStreams += 1;
    return new RealDecompressionStream(format);
  } as unknown as typeof DecompressionStream;
});

afterEach(() => {
  globals.DecompressionStream = RealDecompressionStream;
});

describe("readBody", () => {
  it("refuses a gzip bomb from the one-call inflate, without inflating it again as a stream", async () => {
    const bomb = zlib.gzipSync(new Uint8Array(4 * LIMIT));
    const rejection = await rejectionOf(readBody(streamOf(bomb), "gzip", LIMIT));
    expect(rejection).toMatchObject({ status: 413, reason: "body_too_large" });
    expect(decompressionStreams).toBe(0);
  });

  it("still inflates a gzip body at the limit in one call", async () => {
    const body = new Uint8Array(LIMIT).fill(7);
    expect(await readBody(streamOf(zlib.gzipSync(body)), "gzip", LIMIT)).toEqual(body);
    expect(await rejectionOf(readBody(streamOf(zlib.gzipSync(new Uint8Array(LIMIT + 1))), "gzip", LIMIT))).toMatchObject({ status: 413 });
    expect(decompressionStreams).toBe(0);
  });

  it("undoes two stacked encodings, and refuses a third before reading anything", async () => {
    const text = new TextEncoder().encode('{"message":"stacked"}');
    const twice = zlib.gzipSync(zlib.deflateSync(text));
    expect(new TextDecoder().decode(await readBody(streamOf(twice), "deflate, gzip", LIMIT))).toBe('{"message":"stacked"}');
    const thrice = zlib.gzipSync(twice);
    expect(await rejectionOf(readBody(streamOf(thrice), "deflate, gzip, gzip", LIMIT))).toMatchObject({
      status: 400,
      reason: "unsupported_encoding",
      detail: "at most 2 content encodings, got 3",
    });
  });

  it("leaves corrupt gzip to the stream path, which answers 400", async () => {
    const good = zlib.gzipSync(new TextEncoder().encode("hello"));
    const corrupt = good.slice();
    corrupt[12] = (corrupt[12] ?? 0) ^ 0xff;
    expect(await rejectionOf(readBody(streamOf(corrupt), "gzip", LIMIT))).toMatchObject({ status: 400, reason: "bad_compression" });
    expect(decompressionStreams).toBe(1);
  });

  it("inflates a large brotli body (workerd's streaming brotli overflowed the stack past ~10 MiB) and refuses a brotli bomb", async () => {
    const big = 16 * 1024 * 1024;
    const quick = { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 1 } };
    const out = await readBody(streamOf(zlib.brotliCompressSync(new Uint8Array(big).fill(7), quick)), "br", 20 * 1024 * 1024);
    expect(out.byteLength).toBe(big);
    expect(out.every((b) => b === 7)).toBe(true);
    const bomb = zlib.brotliCompressSync(new Uint8Array(4 * LIMIT), quick);
    expect(await rejectionOf(readBody(streamOf(bomb), "br", LIMIT))).toMatchObject({ status: 413, reason: "body_too_large" });
    const corrupt = new TextEncoder().encode("not brotli at all");
    expect(await rejectionOf(readBody(streamOf(corrupt), "br", LIMIT))).toMatchObject({ status: 400, reason: "bad_compression" });
  });
});
