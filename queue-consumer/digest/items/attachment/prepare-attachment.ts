/**
 * Attachments (https://develop.sentry.dev/sdk/data-model/envelope-items/#attachment), minidumps
 * among them: the bytes go to R2 whatever their size, and a stored_items row names them beside
 * the event they belong to.
 */
import type { EnvelopeItem } from "../../../../protocol/parse-envelope";
import { type KeptItemContext, type PreparedItem, prepareKeptItem } from "../kept/kept-item";

export function prepareAttachment(item: EnvelopeItem, ctx: KeptItemContext): Promise<PreparedItem> {
  return prepareKeptItem(item, ctx, true);
}
