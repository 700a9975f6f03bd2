import { describe, expect, it } from "vitest";
import { MAX_ATTACHMENTS } from "../../worker/inspect-envelope";
import { UPLOAD_LIMITS, readMinidumpUpload } from "../../worker/read-minidump-upload";
import { RefusedError } from "../../worker/refusal";
import { buildMinidump, crashpadUpload, multipart } from "../support/crashpad-upload";

function rejectionOf(body: Uint8Array, contentType: string) {
  try {
    readMinidumpUpload(body, contentType);
  } catch (err) {
    if (err instanceof RefusedError) return err.refusal;
    throw err;
  }
  throw new Error("not rejected");
}

const minidumpPart = {
  name: "upload_file_minidump",
  filename: "crash.dmp",
  contentType: "application/octet-stream",
  bytes: buildMinidump(),
};

describe("readMinidumpUpload", () => {
  it("reads crashpad's form into files and fields", () => {
    const { body, contentType } = crashpadUpload();
    const upload = readMinidumpUpload(body, contentType);
    expect(upload.files.map((f) => f.field)).toEqual([
      "upload_file_minidump",
      "__sentry-event",
      "__sentry-breadcrumb1",
      "__sentry-breadcrumb2",
      "game.log",
    ]);
    expect(upload.fields.length).toBeGreaterThan(0);
  });

  it("takes a body that is not a form as the minidump itself", () => {
    const minidump = buildMinidump();
    expect(readMinidumpUpload(minidump, "application/octet-stream")).toEqual({
      files: [{ field: null, filename: "Minidump", contentType: "application/x-dmp", bytes: minidump }],
      fields: [],
    });
  });

  it("refuses a plain field over its limit, or fields over theirs together, with 413: they travel in the queued envelope as JSON, up to six times their size", () => {
    const big = multipart([minidumpPart, { name: "notes", bytes: "\u0000".repeat(UPLOAD_LIMITS.fieldBytes + 1) }]);
    expect(rejectionOf(big.body, big.contentType)).toMatchObject({ status: 413, reason: "item_too_large" });
    const many = multipart([
      minidumpPart,
      ...Array.from({ length: 5 }, (_, i) => ({ name: `f${i}`, bytes: "x".repeat(UPLOAD_LIMITS.fieldBytes) })),
    ]);
    expect(rejectionOf(many.body, many.contentType)).toMatchObject({ status: 413, reason: "body_too_large" });
  });

  it(`refuses more than ${MAX_ATTACHMENTS} files with 413: each is an R2 write in the digest`, () => {
    const files = Array.from({ length: MAX_ATTACHMENTS }, (_, i) => ({
      name: `file${i}`,
      filename: `file${i}.txt`,
      contentType: "text/plain",
      bytes: "x",
    }));
    const atLimit = multipart([minidumpPart, ...files.slice(1)]);
    expect(readMinidumpUpload(atLimit.body, atLimit.contentType).files).toHaveLength(MAX_ATTACHMENTS);
    const over = multipart([minidumpPart, ...files]);
    expect(rejectionOf(over.body, over.contentType)).toMatchObject({ status: 413, reason: "too_many_items" });
  });
});
