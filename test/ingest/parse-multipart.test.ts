import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MultipartError, multipartBoundary, parseMultipart } from "../../worker/parse-multipart";
import { buildMinidump, crashpadUpload, multipart } from "../support/crashpad-upload";

const enc = new TextEncoder();
const dec = new TextDecoder();

describe("multipartBoundary", () => {
  it("reads the boundary, quoted or not, among other parameters", () => {
    expect(multipartBoundary("multipart/form-data; boundary=---MultipartBoundary-abc---")).toBe("---MultipartBoundary-abc---");
    expect(multipartBoundary('Multipart/Form-Data; charset=utf-8; Boundary="a b:c"')).toBe("a b:c");
  });

  it("answers null for other types, a missing boundary, or one longer than 70 characters", () => {
    expect(multipartBoundary("application/octet-stream")).toBeNull();
    expect(multipartBoundary(null)).toBeNull();
    expect(multipartBoundary("multipart/form-data")).toBeNull();
    expect(multipartBoundary("multipart/form-data; charset=utf-8")).toBeNull();
    expect(multipartBoundary(`multipart/form-data; boundary=${"x".repeat(71)}`)).toBeNull();
  });
});

describe("parseMultipart", () => {
  it("reads crashpad's upload: fields and files, each file a view into the body", () => {
    const minidump = buildMinidump();
    const { body, contentType } = crashpadUpload(minidump);
    const parts = parseMultipart(body, multipartBoundary(contentType)!);
    expect(parts.map((p) => [p.name, p.filename, p.contentType])).toEqual([
      ["guid", null, null],
      ["upload_file_minidump", "8f2d0c4e-1b3a-4c5d-9e8f-7a6b5c4d3e2f.dmp", "application/octet-stream"],
      ["__sentry-event", "__sentry-event", "application/octet-stream"],
      ["__sentry-breadcrumb1", "__sentry-breadcrumb1", "application/octet-stream"],
      ["__sentry-breadcrumb2", "__sentry-breadcrumb2", "application/octet-stream"],
      ["game.log", "game.log", "application/octet-stream"],
    ]);
    expect(parts[1]?.body).toEqual(minidump);
    expect(parts[1]?.body.buffer).toBe(body.buffer);
    expect(dec.decode(parts[0]?.body)).toBe("3f1b6c1e2f0a4b59a8c7d6e5f4a3b2c1");
  });

  it("skips the preamble and epilogue, allows transport padding, empty parts and parts without headers", () => {
    const body = enc.encode(
      [
        "this is the preamble",
        "--xyz   ",
        'Content-Disposition: form-data; name="empty"; filename=""',
        "",
        "",
        "--xyz",
        "",
        "a part with no headers, so no name",
        "--xyz",
        'content-disposition: form-data; name="path"; filename="C:\\crashes\\app.dmp"',
        "",
        "MDMP\r\n--xy not a boundary",
        "--xyz--",
        "the epilogue",
      ].join("\r\n"),
    );
    const parts = parseMultipart(body, "xyz");
    expect(parts.map((p) => [p.name, p.filename, dec.decode(p.body)])).toEqual([
      ["empty", "", ""],
      ["path", "C:\\crashes\\app.dmp", "MDMP\r\n--xy not a boundary"],
    ]);
  });

  it("reads a part whose headers run into the next boundary as empty", () => {
    const body = enc.encode(
      '--xyz\r\nContent-Disposition: form-data; name="a"\r\n\r\n--xyz\r\nContent-Disposition: form-data; name="b"\r\n\r\nB\r\n--xyz--',
    );
    expect(parseMultipart(body, "xyz").map((p) => [p.name, dec.decode(p.body)])).toEqual([
      ["a", ""],
      ["b", "B"],
    ]);
  });

  const broken: Array<[string, string]> = [
    ["no boundary at all", "just some bytes"],
    ["a body that ends inside a part", '--xyz\r\nContent-Disposition: form-data; name="a"\r\n\r\nvalue'],
    ["a boundary line that does not end in CRLF", '--xyzjunk\r\nContent-Disposition: form-data; name="a"\r\n\r\nv\r\n--xyz--'],
    ["headers that do not end before the next boundary", '--xyz\r\nContent-Disposition: form-data; name="a"\r\n--xyz\r\n\r\nv\r\n--xyz--'],
  ];
  for (const [what, text] of broken) {
    it(`refuses ${what}`, () => {
      expect(() => parseMultipart(enc.encode(text), "xyz")).toThrow(MultipartError);
    });
  }

  // Names and file names without quotes or line breaks, which form encoders percent-encode.
  const name = fc.string({ unit: fc.constantFrom(..."abcXYZ019_-.[] "), minLength: 1, maxLength: 12 });
  const part = fc.oneof(
    fc.record({ name, value: fc.string({ maxLength: 40 }) }),
    fc.record({ name, filename: name, bytes: fc.uint8Array({ maxLength: 300 }) }),
  );

  it("reads what Request.formData() reads, from any form", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(part, { maxLength: 6 }), async (parts) => {
        const { body, contentType } = multipart(
          parts.map((p) =>
            "value" in p
              ? { name: p.name, bytes: p.value }
              : { name: p.name, filename: p.filename, contentType: "application/octet-stream", bytes: p.bytes },
          ),
        );
        const ours = parseMultipart(body, multipartBoundary(contentType)!).map((p) => [
          p.name,
          p.filename,
          p.filename === null ? dec.decode(p.body) : [...p.body],
        ]);
        const form = await new Response(body, { headers: { "content-type": contentType } }).formData();
        const theirs = [];
        for (const [key, value] of form)
          theirs.push(typeof value === "string" ? [key, null, value] : [key, value.name, [...new Uint8Array(await value.arrayBuffer())]]);
        expect(ours).toEqual(theirs);
      }),
      { numRuns: 200 },
    );
  });

  it("throws nothing but MultipartError on a damaged upload", () => {
    const { body, contentType } = crashpadUpload();
    const boundary = multipartBoundary(contentType)!;
    fc.assert(
      fc.property(fc.nat(body.byteLength), fc.nat(body.byteLength), fc.integer({ min: 0, max: 255 }), (cut, at, byte) => {
        const damaged = body.slice(0, Math.max(cut, 1));
        if (at < damaged.byteLength) damaged[at] = byte;
        try {
          parseMultipart(damaged, boundary);
        } catch (err) {
          expect(err).toBeInstanceOf(MultipartError);
        }
      }),
      { numRuns: 500 },
    );
  });
});
