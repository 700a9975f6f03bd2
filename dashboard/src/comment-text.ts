/**
 * A comment's text read as a small, safe subset of Markdown: paragraphs (a blank line), line
 * breaks, `code` and **bold**. The result is plain strings tagged with how to show them, which
 * the page renders as text nodes: nothing in a comment is ever parsed as HTML, and there are no
 * links, so no markup or URL scheme a comment carries does anything.
 */
export type CommentPart = { kind: "text" | "code" | "strong"; text: string } | { kind: "break" };

export function commentParagraphs(text: string): CommentPart[][] {
  return text
    .replace(/\r\n?/g, "\n")
    .split(/\n[ \t]*\n+/)
    .map((paragraph) => paragraph.replace(/^\n+|\n+$/g, ""))
    .filter((paragraph) => paragraph.trim() !== "")
    .map((paragraph) => paragraph.split("\n").flatMap((line, i) => [...(i > 0 ? [{ kind: "break" } as const] : []), ...inlineParts(line)]));
}

// `code` first (nothing inside it is bold), then **bold** in what is left.
const CODE = /`([^`\n]+)`/g;
const STRONG = /\*\*(?=\S)([^*\n]*?\S)\*\*/g;

function inlineParts(line: string): CommentPart[] {
  const parts: CommentPart[] = [];
  let at = 0;
  for (const match of line.matchAll(CODE)) {
    parts.push(...strongParts(line.slice(at, match.index)));
    parts.push({ kind: "code", text: match[1]! });
    at = match.index + match[0].length;
  }
  parts.push(...strongParts(line.slice(at)));
  return parts;
}

function strongParts(text: string): CommentPart[] {
  const parts: CommentPart[] = [];
  let at = 0;
  for (const match of text.matchAll(STRONG)) {
    if (match.index > at) parts.push({ kind: "text", text: text.slice(at, match.index) });
    parts.push({ kind: "strong", text: match[1]! });
    at = match.index + match[0].length;
  }
  if (at < text.length) parts.push({ kind: "text", text: text.slice(at) });
  return parts;
}
