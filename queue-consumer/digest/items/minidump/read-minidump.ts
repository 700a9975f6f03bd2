/**
 * Reads what a minidump says about its crash from the few fixed-size structures that hold it,
 * laid out as in Microsoft's minidumpapiset.h
 * (https://learn.microsoft.com/en-us/windows/win32/api/minidumpapiset/): the header, the stream
 * directory, the exception stream and the system info stream. Nothing else is read (no threads,
 * no memory, no stack walking). Every offset is checked against the bytes before it is read; a
 * minidump that cannot be read answers null, a stream that cannot be read is left out.
 */
export interface MinidumpCrash {
  /** When the minidump was written, in seconds since the epoch (the header's TimeDateStamp); null when 0. */
  writtenAt: number | null;
  /** The handler that wrote it, known by its own stream. */
  writer: "crashpad" | "breakpad" | null;
  system: MinidumpSystem | null;
  exception: MinidumpException | null;
}

export interface MinidumpSystem {
  /** PlatformId: 0-2 Windows, or one of Breakpad's (0x8101 macOS, 0x8201 Linux...). */
  platformId: number;
  majorVersion: number;
  minorVersion: number;
  buildNumber: number;
}

export interface MinidumpException {
  threadId: number;
  /** A Windows exception code, a POSIX signal number or a Mach exception type, by platform. */
  code: number;
  /** On Linux the signal's si_code; on macOS the Mach exception's code. */
  flags: number;
  address: bigint;
  /** ExceptionInformation, as many as NumberParameters says (at most 15). */
  parameters: bigint[];
}

const HEADER_BYTES = 32;
const DIRECTORY_ENTRY_BYTES = 12;
// MINIDUMP_VERSION, in the low 16 bits of the header's Version (the high ones are the writer's own).
const MINIDUMP_VERSION = 0xa793;
const EXCEPTION_STREAM = 6;
const EXCEPTION_STREAM_BYTES = 168;
const SYSTEM_INFO_STREAM = 7;
const SYSTEM_INFO_BYTES = 56;
const MAX_EXCEPTION_PARAMETERS = 15;
// Streams the handlers add beside Microsoft's: crashpad's CrashpadInfo ('CP' 0x0001) and Breakpad's info ('Gg' 0x0003).
const CRASHPAD_INFO_STREAM = 0x43500001;
const BREAKPAD_INFO_STREAM = 0x47670003;
// Real minidumps have a few dozen streams; a directory claiming more is read only this far.
const MAX_STREAMS = 1024;

export function readMinidump(bytes: Uint8Array): MinidumpCrash | null {
  if (bytes.byteLength < HEADER_BYTES) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // "MDMP" read as a little-endian u32; "PMDM" is a big-endian minidump.
  const signature = view.getUint32(0, true);
  let le: boolean;
  if (signature === 0x504d444d) le = true;
  else if (signature === 0x4d444d50) le = false;
  else return null;
  if ((view.getUint32(4, le) & 0xffff) !== MINIDUMP_VERSION) return null;
  const streamCount = view.getUint32(8, le);
  const directory = view.getUint32(12, le);
  const writtenAt = view.getUint32(20, le);

  const crash: MinidumpCrash = { writtenAt: writtenAt === 0 ? null : writtenAt, writer: null, system: null, exception: null };
  const entries = Math.min(streamCount, MAX_STREAMS);
  if (!fits(bytes, directory, entries * DIRECTORY_ENTRY_BYTES)) return null;
  for (let i = 0; i < entries; i++) {
    const entry = directory + i * DIRECTORY_ENTRY_BYTES;
    const type = view.getUint32(entry, le);
    const size = view.getUint32(entry + 4, le);
    const at = view.getUint32(entry + 8, le);
    if (type === CRASHPAD_INFO_STREAM) crash.writer = "crashpad";
    else if (type === BREAKPAD_INFO_STREAM) crash.writer ??= "breakpad";
    // The first stream of a type counts; a stream smaller than its structure, or past the end, is skipped.
    else if (
      type === EXCEPTION_STREAM &&
      crash.exception === null &&
      size >= EXCEPTION_STREAM_BYTES &&
      fits(bytes, at, EXCEPTION_STREAM_BYTES)
    ) {
      crash.exception = readException(view, at, le);
    } else if (type === SYSTEM_INFO_STREAM && crash.system === null && size >= SYSTEM_INFO_BYTES && fits(bytes, at, SYSTEM_INFO_BYTES)) {
      crash.system = readSystem(view, at, le);
    }
  }
  return crash;
}

function fits(bytes: Uint8Array, at: number, length: number): boolean {
  return at + length <= bytes.byteLength;
}

/** MINIDUMP_EXCEPTION_STREAM: ThreadId, alignment, then MINIDUMP_EXCEPTION and the thread context's location. */
function readException(view: DataView, at: number, le: boolean): MinidumpException {
  const count = Math.min(view.getUint32(at + 32, le), MAX_EXCEPTION_PARAMETERS);
  const parameters: bigint[] = [];
  for (let i = 0; i < count; i++) parameters.push(view.getBigUint64(at + 40 + i * 8, le));
  return {
    threadId: view.getUint32(at, le),
    code: view.getUint32(at + 8, le),
    flags: view.getUint32(at + 12, le),
    address: view.getBigUint64(at + 24, le),
    parameters,
  };
}

/** MINIDUMP_SYSTEM_INFO: processor fields (8 bytes), then the OS version and platform. */
function readSystem(view: DataView, at: number, le: boolean): MinidumpSystem {
  return {
    majorVersion: view.getUint32(at + 8, le),
    minorVersion: view.getUint32(at + 12, le),
    buildNumber: view.getUint32(at + 16, le),
    platformId: view.getUint32(at + 20, le),
  };
}
