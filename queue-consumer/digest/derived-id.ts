/**
 * An id made from what it names (the first 16 bytes of the seed's SHA-256, as 32 hex digits, the
 * shape of an event id): the same seed gives the same id, so a check-in, a missed run or a metric
 * crossing written twice is stored once.
 */
export async function derivedId(seed: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(seed));
  return [...new Uint8Array(digest).slice(0, 16)].map((b) => b.toString(16).padStart(2, "0")).join("");
}
