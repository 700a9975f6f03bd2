// What sentry-native's crashpad backend uploads after a crash, built by hand: a small but
// well-formed minidump (header, stream directory, exception and system info streams, crashpad's
// info stream), the scope's event as msgpack in `__sentry-event`, and the two rotating breadcrumb
// files, posted as multipart/form-data the way crashpad's uploader writes it.

export const WINDOWS = 2;
export const LINUX = 0x8201;
export const MACOS = 0x8101;

export interface MinidumpShape {
  platformId?: number;
  /** Windows exception code, signal number or Mach exception type. */
  code?: number;
  flags?: number;
  parameters?: bigint[];
  address?: bigint;
  threadId?: number;
  /** Seconds; the header's TimeDateStamp. */
  writtenAt?: number;
  version?: [number, number, number];
  /** Leave out the exception stream (a dump written without a crash). */
  noException?: boolean;
  /** Write a big-endian minidump ("PMDM"). */
  bigEndian?: boolean;
}

/** A minidump of a header, a directory of three streams and the streams themselves. */
export function buildMinidump(shape: MinidumpShape = {}): Uint8Array {
  const le = !shape.bigEndian;
  const streams: Array<{ type: number; bytes: Uint8Array }> = [];
  if (!shape.noException) {
    const exception = new DataView(new ArrayBuffer(168));
    exception.setUint32(0, shape.threadId ?? 4242, le);
    exception.setUint32(8, shape.code ?? 0xc0000005, le);
    exception.setUint32(12, shape.flags ?? 0, le);
    exception.setBigUint64(24, shape.address ?? 0x7ff6_1234_5678n, le);
    const parameters = shape.parameters ?? [0n, 0x10n];
    exception.setUint32(32, parameters.length, le);
    parameters.forEach((p, i) => exception.setBigUint64(40 + i * 8, p, le));
    streams.push({ type: 6, bytes: new Uint8Array(exception.buffer) });
  }
  const system = new DataView(new ArrayBuffer(56));
  system.setUint16(0, 9, le); // PROCESSOR_ARCHITECTURE_AMD64
  const [major, minor, build] = shape.version ?? [10, 0, 19045];
  system.setUint32(8, major, le);
  system.setUint32(12, minor, le);
  system.setUint32(16, build, le);
  system.setUint32(20, shape.platformId ?? WINDOWS, le);
  streams.push({ type: 7, bytes: new Uint8Array(system.buffer) });
  // Crashpad's own stream: its version and nothing else, which is all a reader of its presence needs.
  const crashpadInfo = new DataView(new ArrayBuffer(52));
  crashpadInfo.setUint32(0, 1, le);
  streams.push({ type: 0x43500001, bytes: new Uint8Array(crashpadInfo.buffer) });

  const directoryAt = 32;
  let dataAt = directoryAt + streams.length * 12;
  const total = dataAt + streams.reduce((n, s) => n + s.bytes.byteLength, 0);
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  out.set(new TextEncoder().encode(le ? "MDMP" : "PMDM"), 0);
  view.setUint32(4, 0xa793 | (0x0001 << 16), le);
  view.setUint32(8, streams.length, le);
  view.setUint32(12, directoryAt, le);
  view.setUint32(20, shape.writtenAt ?? Math.floor(Date.now() / 1000) - 60, le);
  streams.forEach((stream, i) => {
    view.setUint32(directoryAt + i * 12, stream.type, le);
    view.setUint32(directoryAt + i * 12 + 4, stream.bytes.byteLength, le);
    view.setUint32(directoryAt + i * 12 + 8, dataAt, le);
    out.set(stream.bytes, dataAt);
    dataAt += stream.bytes.byteLength;
  });
  return out;
}

/** MessagePack as sentry-native writes it (sentry_value_to_msgpack): maps, arrays, strings, ints, doubles, booleans, nil. */
export function encodeMsgpack(value: unknown): Uint8Array {
  const out: number[] = [];
  const u = (n: number, bytes: number) => {
    for (let i = bytes - 1; i >= 0; i--) out.push(Math.floor(n / 2 ** (8 * i)) & 0xff);
  };
  const write = (v: unknown): void => {
    if (v === null || v === undefined) out.push(0xc0);
    else if (typeof v === "boolean") out.push(v ? 0xc3 : 0xc2);
    else if (typeof v === "number" && Number.isInteger(v) && v >= -(2 ** 31) && v < 2 ** 32) {
      if (v >= 0 && v <= 0x7f) out.push(v);
      else if (v < 0 && v >= -32) out.push(v & 0xff);
      else if (v >= 0) (out.push(0xce), u(v, 4));
      else (out.push(0xd2), u(v >>> 0, 4));
    } else if (typeof v === "number") {
      const b = new DataView(new ArrayBuffer(8));
      b.setFloat64(0, v);
      out.push(0xcb, ...new Uint8Array(b.buffer));
    } else if (typeof v === "string") {
      const bytes = new TextEncoder().encode(v);
      if (bytes.length < 32) out.push(0xa0 | bytes.length);
      else if (bytes.length < 256) out.push(0xd9, bytes.length);
      else (out.push(0xdb), u(bytes.length, 4));
      for (const b of bytes) out.push(b);
    } else if (Array.isArray(v)) {
      if (v.length < 16) out.push(0x90 | v.length);
      else (out.push(0xdd), u(v.length, 4));
      v.forEach(write);
    } else if (typeof v === "object") {
      const entries = Object.entries(v as object);
      if (entries.length < 16) out.push(0x80 | entries.length);
      else (out.push(0xdf), u(entries.length, 4));
      for (const [k, item] of entries) (write(k), write(item));
    } else throw new Error(`cannot encode ${typeof v}`);
  };
  write(value);
  return new Uint8Array(out);
}

/** sentry-native's breadcrumb file: one msgpack value after another. */
export function breadcrumbFile(crumbs: object[]): Uint8Array {
  return concat(crumbs.map(encodeMsgpack));
}

export const CRASH_EVENT_ID = "5f1c2a9e-8b3d-4e6f-9a0b-1c2d3e4f5a6b";

/** The scope sentry-native flushes into `__sentry-event`. */
export const crashScopeEvent = {
  event_id: CRASH_EVENT_ID,
  timestamp: "2026-07-01T10:00:00.000Z",
  level: "fatal",
  platform: "native",
  release: "game@2.4.1",
  environment: "production",
  user: { id: "player-77", username: "ada" },
  tags: { renderer: "vulkan", map: "harbor" },
  contexts: { os: { type: "os", name: "Windows", version: "10.0.19045", build: "19045" }, gpu: { type: "gpu", name: "Radeon RX 6800" } },
  sdk: { name: "sentry.native", version: "0.9.1", packages: [{ name: "github:getsentry/sentry-native", version: "0.9.1" }] },
};

export interface Part {
  name: string;
  filename?: string;
  contentType?: string;
  bytes: Uint8Array | string;
}

/** A multipart/form-data body as crashpad's HTTPMultipartBuilder writes it. */
export function multipart(parts: Part[]): { body: Uint8Array; contentType: string } {
  const boundary = "---MultipartBoundary-vp5j9HdSRYK8DvX2DhtpqEbMNjSN1wnL---";
  const enc = new TextEncoder();
  const chunks: Uint8Array[] = [];
  for (const part of parts) {
    const disposition = `form-data; name="${part.name}"${part.filename === undefined ? "" : `; filename="${part.filename}"`}`;
    const type = part.contentType === undefined ? "" : `Content-Type: ${part.contentType}\r\n`;
    chunks.push(enc.encode(`--${boundary}\r\nContent-Disposition: ${disposition}\r\n${type}\r\n`));
    chunks.push(typeof part.bytes === "string" ? enc.encode(part.bytes) : part.bytes, enc.encode("\r\n"));
  }
  chunks.push(enc.encode(`--${boundary}--\r\n`));
  return { body: concat(chunks), contentType: `multipart/form-data; boundary=${boundary}` };
}

/**
 * The breadcrumbs of a session that outgrew one file: the first file was filled, then the second,
 * then the first started afresh (max_breadcrumbs 3), so the newest are the first file's.
 */
export const breadcrumbFiles = {
  first: breadcrumbFile([
    { timestamp: "2026-07-01T09:59:57.000Z", type: "navigation", category: "scene", message: "loaded harbor" },
    { timestamp: "2026-07-01T09:59:58.000Z", type: "default", category: "input", message: "pressed jump" },
  ]),
  second: breadcrumbFile([
    { timestamp: "2026-07-01T09:59:50.000Z", type: "default", category: "net", message: "connected" },
    { timestamp: "2026-07-01T09:59:53.000Z", type: "default", category: "net", message: "synced" },
    { timestamp: "2026-07-01T09:59:55.000Z", type: "default", category: "scene", message: "loading harbor" },
  ]),
};

/** Everything the crashpad backend sends for one crash, plus a log the app attached. */
export function crashpadUpload(
  minidump: Uint8Array = buildMinidump(),
  event: object = crashScopeEvent,
): { body: Uint8Array; contentType: string } {
  return multipart([
    { name: "guid", bytes: "3f1b6c1e2f0a4b59a8c7d6e5f4a3b2c1" },
    {
      name: "upload_file_minidump",
      filename: "8f2d0c4e-1b3a-4c5d-9e8f-7a6b5c4d3e2f.dmp",
      contentType: "application/octet-stream",
      bytes: minidump,
    },
    { name: "__sentry-event", filename: "__sentry-event", contentType: "application/octet-stream", bytes: encodeMsgpack(event) },
    {
      name: "__sentry-breadcrumb1",
      filename: "__sentry-breadcrumb1",
      contentType: "application/octet-stream",
      bytes: breadcrumbFiles.first,
    },
    {
      name: "__sentry-breadcrumb2",
      filename: "__sentry-breadcrumb2",
      contentType: "application/octet-stream",
      bytes: breadcrumbFiles.second,
    },
    { name: "game.log", filename: "game.log", contentType: "application/octet-stream", bytes: "frame 1\nframe 2\n" },
  ]);
}

function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
  let offset = 0;
  for (const c of chunks) {
    out.set(c, offset);
    offset += c.byteLength;
  }
  return out;
}
