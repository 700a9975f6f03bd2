/**
 * Full envelope parser (https://develop.sentry.dev/sdk/data-model/envelopes/): a JSON header
 * line, then items of a JSON header line and a payload of `length` bytes or, without `length`,
 * up to the next newline. Blank lines between items and a missing final newline are accepted.
 */
export interface EnvelopeItem {
  type: string;
  header: Record<string, unknown>;
  payload: Uint8Array;
}

export interface Envelope {
  header: Record<string, unknown>;
  items: EnvelopeItem[];
}

export class EnvelopeParseError extends Error {
  override name = "EnvelopeParseError";
}

const NEWLINE = 0x0a;
const decoder = new TextDecoder();

export function parseEnvelope(bytes: Uint8Array): Envelope {
  let end = lineEnd(bytes, 0);
  const header = parseObject(bytes.subarray(0, end), "envelope header");
  const items: EnvelopeItem[] = [];
  let pos = end + 1;
  while (pos < bytes.byteLength) {
    if (bytes[pos] === NEWLINE || (bytes[pos] === 0x0d && bytes[pos + 1] === NEWLINE)) {
      pos += bytes[pos] === NEWLINE ? 1 : 2;
      continue;
    }
    end = lineEnd(bytes, pos);
    const itemHeader = parseObject(bytes.subarray(pos, end), "item header");
    const type = itemHeader.type;
    if (typeof type !== "string" || type === "") throw new EnvelopeParseError("item header has no type");
    pos = Math.min(end + 1, bytes.byteLength);
    const length = itemHeader.length;
    let payloadEnd: number;
    if (typeof length === "number" && Number.isInteger(length) && length >= 0) {
      payloadEnd = pos + length;
      if (payloadEnd > bytes.byteLength) throw new EnvelopeParseError(`item ${type} is shorter than its length`);
    } else if (length === undefined || length === null) {
      payloadEnd = lineEnd(bytes, pos);
    } else {
      throw new EnvelopeParseError(`item ${type} has an invalid length`);
    }
    let payload = bytes.subarray(pos, payloadEnd);
    if (length === undefined || length === null) payload = trimCarriageReturn(payload);
    items.push({ type, header: itemHeader, payload });
    pos = payloadEnd;
    if (bytes[pos] === 0x0d && bytes[pos + 1] === NEWLINE) pos += 2;
    else if (bytes[pos] === NEWLINE) pos += 1;
  }
  return { header, items };
}

/** An item's payload as JSON (events, transactions, sessions, client reports...). */
export function parseItemJson(item: EnvelopeItem): unknown {
  try {
    return JSON.parse(decoder.decode(item.payload));
  } catch {
    throw new EnvelopeParseError(`${item.type} item is not valid JSON`);
  }
}

function trimCarriageReturn(b: Uint8Array): Uint8Array {
  return b.byteLength > 0 && b[b.byteLength - 1] === 0x0d ? b.subarray(0, b.byteLength - 1) : b;
}

function lineEnd(bytes: Uint8Array, from: number): number {
  const i = bytes.indexOf(NEWLINE, from);
  return i === -1 ? bytes.byteLength : i;
}

function parseObject(bytes: Uint8Array, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(decoder.decode(bytes));
  } catch {
    throw new EnvelopeParseError(`${what} is not valid JSON`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new EnvelopeParseError(`${what} is not a JSON object`);
  return value as Record<string, unknown>;
}
