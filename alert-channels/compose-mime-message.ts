/**
 * A MIME message (RFC 5322, RFC 2045-2047) as the send_email binding takes it raw
 * (https://developers.cloudflare.com/email-routing/email-workers/send-email-workers/): plain text
 * and HTML alternatives of one body, both UTF-8 in base64, and headers that are ASCII whatever
 * the subject says.
 */
export interface MimeMessage {
  from: { name: string; address: string };
  to: string;
  subject: string;
  text: string;
  html: string;
  date: Date;
  /** Without angle brackets: `<local>@<domain>`. */
  messageId: string;
}

const CRLF = "\r\n";
// RFC 2047 §2: an encoded word is at most 75 characters, and a header line holding one at most
// 76. Words of 39 bytes (52 base64 characters, 64 in all) leave room for "Subject: " on the first line.
const ENCODED_WORD_BYTES = 39;
// Printable ASCII this short fits on the header's line as it is (RFC 5322 §2.1.1: 78 at most).
const PLAIN_HEADER_MAX = 66;
// RFC 2045: base64 lines of at most 76 characters.
const BASE64_LINE = 76;

export function composeMimeMessage(message: MimeMessage): string {
  for (const value of [message.from.address, message.from.name, message.to, message.messageId]) {
    if (/[\r\n]/.test(value)) throw new Error("a header value holds a line break");
  }
  const boundary = `faultline-${crypto.randomUUID()}`;
  const headers = [
    `From: ${encodeHeaderText(message.from.name)} <${message.from.address}>`,
    `To: ${message.to}`,
    `Subject: ${encodeHeaderText(message.subject)}`,
    `Date: ${message.date.toUTCString().replace(/GMT$/, "+0000")}`,
    `Message-ID: <${message.messageId}>`,
    "MIME-Version: 1.0",
    // RFC 3834: automatic mail, so vacation responders and the like stay quiet.
    "Auto-Submitted: auto-generated",
    `Content-Type: multipart/alternative;${CRLF} boundary="${boundary}"`,
  ];
  const part = (type: string, body: string) =>
    [
      `--${boundary}`,
      `Content-Type: ${type}; charset=utf-8`,
      "Content-Transfer-Encoding: base64",
      "",
      base64Lines(new TextEncoder().encode(body)),
    ].join(CRLF);
  return [...headers, "", part("text/plain", message.text), part("text/html", message.html), `--${boundary}--`, ""].join(CRLF);
}

/** Printable ASCII that fits a header line stays as it is; anything else becomes RFC 2047 encoded words, folded. */
export function encodeHeaderText(text: string): string {
  if (/^[\x20-\x7e]*$/.test(text) && text.length <= PLAIN_HEADER_MAX && !text.includes("=?")) return text;
  const bytes = new TextEncoder().encode(text);
  const words: string[] = [];
  let start = 0;
  while (start < bytes.length) {
    let end = Math.min(start + ENCODED_WORD_BYTES, bytes.length);
    // Never split a UTF-8 sequence: back up to the start of a character (a byte that is not 10xxxxxx).
    while (end < bytes.length && end > start && (bytes[end]! & 0xc0) === 0x80) end -= 1;
    words.push(`=?UTF-8?B?${base64(bytes.subarray(start, end))}?=`);
    start = end;
  }
  return words.join(`${CRLF} `);
}

function base64(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

function base64Lines(bytes: Uint8Array): string {
  const encoded = base64(bytes);
  const lines: string[] = [];
  for (let i = 0; i < encoded.length; i += BASE64_LINE) lines.push(encoded.slice(i, i + BASE64_LINE));
  return lines.join(CRLF);
}
