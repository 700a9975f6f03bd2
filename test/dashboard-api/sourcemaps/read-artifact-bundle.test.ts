import { describe, expect, it } from "vitest";
import { zipSync } from "fflate";
import { BundleError, readArtifactBundle } from "../../../dashboard/api/sourcemaps/read-artifact-bundle";
import { DEBUG_ID, debugIdBundle, makeBundle, releaseUrlBundle } from "../../support/artifact-bundles";

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

function allFiles(bundle: ReturnType<typeof readArtifactBundle>) {
  return [...bundle.readBatches()].flat();
}

describe("readArtifactBundle", () => {
  it("reads sentry-cli's bundle of an injected build: both files, their debug id, the map reference", () => {
    const bundle = readArtifactBundle(debugIdBundle());
    expect(bundle.bundleId).toBe("6de358b8-1713-5b5d-a25a-633b9dbd280d");
    expect(bundle.release).toBeNull();
    expect(bundle.files).toEqual([
      {
        path: "files/_/_/app.min.js",
        type: "minified_source",
        url: "~/app.min.js",
        debugId: DEBUG_ID,
        sourcemap: "app.min.js.map",
        size: 609,
      },
      { path: "files/_/_/app.min.js.map", type: "source_map", url: "~/app.min.js.map", debugId: DEBUG_ID, sourcemap: null, size: 1064 },
    ]);
    const files = allFiles(bundle);
    expect(text(files[0]!.bytes)).toContain("//# debugId=5653b597-57df-57d7-ad37-87a474c57b6f");
    expect(JSON.parse(text(files[1]!.bytes)).sources).toEqual(["../app/src/config.js", "../app/src/main.js"]);
  });

  it("reads a release upload's bundle: release, dist and ~/dist URLs, no debug ids", () => {
    const bundle = readArtifactBundle(releaseUrlBundle());
    expect(bundle).toMatchObject({ release: "1.0.0", dist: "web1" });
    expect(bundle.files.map((f) => [f.url, f.debugId, f.sourcemap])).toEqual([
      ["~/dist/app.min.js", null, "app.min.js.map"],
      ["~/dist/app.min.js.map", null, null],
    ]);
  });

  it("accepts a plain zip without the source bundle header, and uppercase or undashed debug ids", () => {
    const zip = zipSync({
      "manifest.json": new TextEncoder().encode(
        JSON.stringify({
          files: { "files/a.js": { type: "minified_source", url: "~/a.js", headers: { "Debug-Id": "5653B59757DF57D7AD3787A474C57B6F" } } },
        }),
      ),
      "files/a.js": new TextEncoder().encode("a()"),
    });
    expect(readArtifactBundle(zip).files[0]).toMatchObject({ debugId: DEBUG_ID, url: "~/a.js" });
  });

  it("skips files of types it does not store, and reads large bundles a batch at a time", () => {
    const big = "x".repeat(9 * 1024 * 1024);
    const bundle = readArtifactBundle(
      makeBundle(
        {
          files: {
            "files/a.js": { type: "minified_source", url: "~/a.js" },
            "files/b.js": { type: "minified_source", url: "~/b.js" },
            "files/c.bundle": { type: "indexed_ram_bundle", url: "~/c.bundle" },
          },
        },
        { "files/a.js": big, "files/b.js": big, "files/c.bundle": "ram" },
      ),
    );
    expect(bundle.files.map((f) => f.url)).toEqual(["~/a.js", "~/b.js"]);
    const batches = [...bundle.readBatches()];
    expect(batches.map((b) => b.length)).toEqual([1, 1]);
    expect(batches[1]![0]!.bytes.byteLength).toBe(big.length);
  });

  const refused = (bytes: Uint8Array, limits?: Parameters<typeof readArtifactBundle>[1]) => {
    try {
      readArtifactBundle(bytes, limits);
    } catch (err) {
      expect(err).toBeInstanceOf(BundleError);
      return (err as Error).message;
    }
    throw new Error("the bundle was accepted");
  };

  it("refuses what is not a bundle, a broken zip, and a bundle without a manifest or with a manifest that is not one", () => {
    expect(refused(new TextEncoder().encode("hello world, not a zip"))).toMatch(/not an artifact bundle/);
    expect(refused(debugIdBundle().subarray(0, 300))).toMatch(/not a readable zip/);
    expect(refused(makeBundle({}, {}).subarray(0, 0))).toMatch(/not an artifact bundle/);
    const noManifest = zipSync({ "files/a.js": new TextEncoder().encode("a") });
    expect(refused(noManifest)).toBe("the bundle has no manifest.json");
    const notJson = zipSync({ "manifest.json": new TextEncoder().encode("{not json") });
    expect(refused(notJson)).toBe("manifest.json is not JSON");
    expect(refused(makeBundle({ files: { "files/a.js": { url: 12 } } }, { "files/a.js": "a" }))).toMatch(
      /^manifest.json: files.files\/a.js.url:/,
    );
  });

  it("refuses a manifest that points at a file the zip does not hold", () => {
    const bundle = makeBundle({ files: { "files/missing.js.map": { type: "source_map", url: "~/missing.js.map" } } }, {});
    expect(refused(bundle)).toBe('manifest.json lists "files/missing.js.map", which the bundle does not hold');
  });

  it("refuses paths that leave the bundle: .., absolute, backslashes", () => {
    for (const path of ["files/../../etc/passwd", "/etc/passwd", "files\\..\\x.js", "C:/x.js", "files/./a.js"]) {
      const bundle = makeBundle({ files: {} }, { [path]: "x" });
      expect(refused(bundle)).toBe(`${JSON.stringify(path)}: a path outside the bundle`);
    }
  });

  it("refuses a file over the per-file limit (a 50 MB map) without inflating it", () => {
    // 50 MiB of one byte deflates to ~50 KB: checked by the size the zip declares.
    const map = new Uint8Array(50 * 1024 * 1024).fill(0x20);
    const bundle = makeBundle({ files: { "files/app.js.map": { type: "source_map", url: "~/app.js.map" } } }, { "files/app.js.map": map });
    expect(bundle.byteLength).toBeLessThan(1024 * 1024);
    expect(refused(bundle)).toBe('"files/app.js.map" is 50.0 MiB uncompressed, more than the 20.0 MiB a file may be');
  });

  it("refuses a zip bomb: entries adding up past the total, whatever each one is", () => {
    const piece = new Uint8Array(1024 * 1024).fill(0);
    const files: Record<string, Uint8Array> = {};
    for (let i = 0; i < 12; i++) files[`files/${i}.js`] = piece;
    const bomb = makeBundle({ files: {} }, files);
    expect(refused(bomb, { maxFileBytes: 2 * 1024 * 1024, maxTotalBytes: 10 * 1024 * 1024, maxFiles: 100 })).toBe(
      "the bundle's files add up to 12.0 MiB uncompressed, more than 10.0 MiB",
    );
    expect(refused(bomb, { maxFileBytes: 2 * 1024 * 1024, maxTotalBytes: 100 * 1024 * 1024, maxFiles: 5 })).toBe(
      "the bundle holds 13 files, more than 5",
    );
  });

  it("a zip that understates a file's size never inflates more than it declared", () => {
    const zip = zipSync({
      "manifest.json": new TextEncoder().encode(JSON.stringify({ files: { "files/a.js": { type: "minified_source", url: "~/a.js" } } })),
      "files/a.js": new Uint8Array(4 * 1024 * 1024).fill(0x61),
    });
    // Rewrite the central directory's uncompressed size of files/a.js to 10 bytes.
    const view = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
    for (let i = zip.byteLength - 22; i >= 0; i--) {
      if (view.getUint32(i, true) !== 0x02014b50) continue;
      const nameLength = view.getUint16(i + 28, true);
      const name = new TextDecoder().decode(zip.subarray(i + 46, i + 46 + nameLength));
      if (name === "files/a.js") view.setUint32(i + 24, 10, true);
    }
    const bundle = readArtifactBundle(zip);
    expect(bundle.files[0]!.size).toBe(10);
    expect(allFiles(bundle)[0]!.bytes.byteLength).toBe(10);
  });
});
