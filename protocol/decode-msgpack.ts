/**
 * A strict MessagePack decoder (https://github.com/msgpack/msgpack/blob/master/spec.md) for what
 * sentry-native writes beside a crashpad minidump: the event (`__sentry-event`) and its
 * breadcrumbs. Values come out as JSON does from JSON.parse, so only what JSON can hold is
 * accepted: maps with string keys, arrays, strings, numbers, booleans and nil. Binary and
 * extension values, a reserved byte, invalid UTF-8, a value cut short or bytes after it are
 * errors, never guesses. Every length is checked against the bytes left before anything is read
 * or allocated, and nesting is bounded, so a hostile payload costs at most one pass over it.
 */
export class MsgpackDecodeError extends Error {
  override name = "MsgpackDecodeError";
}

/** Nesting deeper than any event needs; past it the payload is refused rather than recursed into. */
const MAX_DEPTH = 100;

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/**
 * Values decoded from one payload at most: a megabyte of one-byte empty maps would otherwise
 * become a million objects, more than a Worker's memory holds. An event with its modules list
 * has a few thousand.
 */
export const MAX_VALUES = 100_000;

/** Exactly one value, filling `bytes`. */
export function decodeMsgpack(bytes: Uint8Array, maxValues = MAX_VALUES): unknown {
  const reader = new Reader(bytes, maxValues);
  const value = reader.value(0);
  if (reader.remaining() > 0) throw new MsgpackDecodeError(`${reader.remaining()} bytes after the value`);
  return value;
}

/**
 * Values written one after another with nothing between them (sentry-native's breadcrumb files).
 * Decoding stops at the first value that cannot be read, a write the crash cut short; the values
 * before it are kept and `error` says what stopped it.
 */
export function decodeMsgpackSequence(
  bytes: Uint8Array,
  maxItems: number,
  maxValues = MAX_VALUES,
): { values: unknown[]; error: string | null } {
  const reader = new Reader(bytes, maxValues);
  const values: unknown[] = [];
  while (reader.remaining() > 0) {
    if (values.length >= maxItems) return { values, error: `more than ${maxItems} values` };
    try {
      values.push(reader.value(0));
    } catch (err) {
      if (err instanceof MsgpackDecodeError) return { values, error: err.message };
      throw err;
    }
  }
  return { values, error: null };
}

class Reader {
  private pos = 0;
  private readonly view: DataView;
  private budget: number;

  constructor(
    private readonly bytes: Uint8Array,
    maxValues: number,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.budget = maxValues;
  }

  remaining(): number {
    return this.bytes.byteLength - this.pos;
  }

  /** Claims the next `n` bytes and answers where they start. */
  private take(n: number): number {
    if (n > this.remaining()) throw new MsgpackDecodeError(`value cut short at byte ${this.pos}`);
    const at = this.pos;
    this.pos += n;
    return at;
  }

  value(depth: number): unknown {
    if (--this.budget < 0) throw new MsgpackDecodeError("more values than a payload may hold");
    const at = this.pos;
    const b = this.view.getUint8(this.take(1));
    if (b <= 0x7f) return b;
    if (b >= 0xe0) return b - 0x100;
    if (b <= 0x8f) return this.map(b & 0x0f, depth);
    if (b <= 0x9f) return this.array(b & 0x0f, depth);
    if (b <= 0xbf) return this.string(b & 0x1f);
    const v = this.view;
    switch (b) {
      case 0xc0:
        return null;
      case 0xc2:
        return false;
      case 0xc3:
        return true;
      case 0xca:
        return v.getFloat32(this.take(4));
      case 0xcb:
        return v.getFloat64(this.take(8));
      case 0xcc:
        return v.getUint8(this.take(1));
      case 0xcd:
        return v.getUint16(this.take(2));
      case 0xce:
        return v.getUint32(this.take(4));
      case 0xcf:
        // Past 2^53 a JSON number loses digits too; JSON.parse does the same.
        return Number(v.getBigUint64(this.take(8)));
      case 0xd0:
        return v.getInt8(this.take(1));
      case 0xd1:
        return v.getInt16(this.take(2));
      case 0xd2:
        return v.getInt32(this.take(4));
      case 0xd3:
        return Number(v.getBigInt64(this.take(8)));
      case 0xd9:
        return this.string(v.getUint8(this.take(1)));
      case 0xda:
        return this.string(v.getUint16(this.take(2)));
      case 0xdb:
        return this.string(v.getUint32(this.take(4)));
      case 0xdc:
        return this.array(v.getUint16(this.take(2)), depth);
      case 0xdd:
        return this.array(v.getUint32(this.take(4)), depth);
      case 0xde:
        return this.map(v.getUint16(this.take(2)), depth);
      case 0xdf:
        return this.map(v.getUint32(this.take(4)), depth);
    }
    if (b === 0xc1) throw new MsgpackDecodeError(`reserved byte 0xc1 at byte ${at}`);
    // 0xc4-0xc6 bin, 0xc7-0xc9 and 0xd4-0xd8 ext: nothing in an event is binary.
    throw new MsgpackDecodeError(`${b <= 0xc6 ? "binary" : "extension"} value at byte ${at} has no JSON form`);
  }

  private string(length: number): string {
    const at = this.take(length);
    try {
      return utf8.decode(this.bytes.subarray(at, at + length));
    } catch {
      throw new MsgpackDecodeError(`string at byte ${at} is not valid UTF-8`);
    }
  }

  private array(length: number, depth: number): unknown[] {
    this.enter(depth, length);
    const out: unknown[] = [];
    for (let i = 0; i < length; i++) out.push(this.value(depth + 1));
    return out;
  }

  private map(length: number, depth: number): Record<string, unknown> {
    // Every key and value takes at least a byte.
    this.enter(depth, length * 2);
    const out: Record<string, unknown> = {};
    for (let i = 0; i < length; i++) {
      const at = this.pos;
      const key = this.value(depth + 1);
      if (typeof key !== "string") throw new MsgpackDecodeError(`map key at byte ${at} is not a string`);
      // An own property even for "__proto__", as JSON.parse makes it, never the object's prototype.
      Object.defineProperty(out, key, { value: this.value(depth + 1), enumerable: true, writable: true, configurable: true });
    }
    return out;
  }

  private enter(depth: number, minBytes: number): void {
    if (depth >= MAX_DEPTH) throw new MsgpackDecodeError(`nested deeper than ${MAX_DEPTH}`);
    if (minBytes > this.remaining()) throw new MsgpackDecodeError(`collection at byte ${this.pos} claims more items than bytes left`);
  }
}
