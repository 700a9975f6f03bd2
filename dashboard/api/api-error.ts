/**
 * Every way the API refuses a request, as a value answered in one place (`apiErrorResponse`).
 * The body is Sentry's: `{"detail": "..."}` (https://docs.sentry.io/api/auth/ for 401s).
 */
export type ApiErrorStatus = 400 | 401 | 403 | 404 | 500;

export class ApiError extends Error {
  constructor(
    readonly status: ApiErrorStatus,
    readonly detail: string,
  ) {
    super(detail);
  }
}

/** Sentry's wording for anything the caller may not see or that does not exist: the two look the same. */
export const NOT_FOUND = "The requested resource does not exist";

export function notFound(): never {
  throw new ApiError(404, NOT_FOUND);
}

export function badRequest(detail: string): never {
  throw new ApiError(400, detail);
}

export function apiErrorResponse(error: ApiError): Response {
  return Response.json({ detail: error.detail }, { status: error.status });
}
