/**
 * A URL slug from a name: lower-case letters, digits and dashes. Sentry's routes take an id or a
 * slug in the same place, so a slug is never all digits.
 */
export function makeSlug(name: string): string {
  const slug = name
    .normalize("NFKD")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 50)
    .replace(/-+$/, "");
  if (slug === "") return "project";
  return /^\d+$/.test(slug) ? `p-${slug}` : slug;
}

export const SLUG = /^(?!\d+$)[a-z0-9][a-z0-9-]{0,49}$/;

/** A new DSN public key: 32 hex characters, as Sentry's. */
export function newPublicKey(): string {
  return crypto.randomUUID().replaceAll("-", "");
}
