import type { z } from "zod";
import { ApiError } from "./api-error";

/**
 * Validates untrusted input (query parameters, JSON bodies) against a zod schema; a failure is a
 * 400 whose detail names the field, e.g. `statusDetails.ignoreCount: Too small: expected number
 * to be >=1`.
 */
export function validateInput<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = issue?.path.length ? issue.path.map(String).join(".") : "body";
  throw new ApiError(400, `${field}: ${issue?.message ?? "invalid"}`);
}

/** A request's JSON body, or a 400 when it is not JSON. */
export async function readJsonBody(request: Request): Promise<unknown> {
  const text = await request.text();
  if (text.trim() === "") return {};
  try {
    return JSON.parse(text);
  } catch {
    throw new ApiError(400, "body: not valid JSON");
  }
}
