/**
 * Cuts text to at most `max` UTF-16 code units, ending in "…" when cut. Platforms count
 * characters; a code unit is never more than one, so the result fits their limits too. A cut
 * never splits a surrogate pair (a lone half is invalid Unicode, which some platforms reject).
 */
export function truncateText(text: string, max: number): string {
  if (text.length <= max) return text;
  if (max <= 0) return "";
  let end = max - 1;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1;
  return `${text.slice(0, end)}…`;
}
