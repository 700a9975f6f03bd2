import { describe, expect, it } from "vitest";
import { serializeEventErrors } from "../../../dashboard/api/events/serialize-event";

describe("serializeEventErrors", () => {
  it("answers the stored event's errors in Sentry's form: type, message, and the rest as data", () => {
    expect(
      serializeEventErrors([
        { type: "js_no_source", url: "https://a.com/app.min.js", debug_id: "5653b597-57df-57d7-ad37-87a474c57b6f" },
        { type: "js_invalid_sourcemap_location", column: 62, row: 400, source: "https://a.com/app.min.js" },
        { type: "something_new" },
        "not an error",
      ]),
    ).toEqual([
      {
        type: "js_no_source",
        message: "Source code was not found",
        data: { url: "https://a.com/app.min.js", debug_id: "5653b597-57df-57d7-ad37-87a474c57b6f" },
      },
      {
        type: "js_invalid_sourcemap_location",
        message: "Invalid location in sourcemap",
        data: { column: 62, row: 400, source: "https://a.com/app.min.js" },
      },
      { type: "something_new", message: "Unknown error", data: {} },
    ]);
    expect(serializeEventErrors(undefined)).toEqual([]);
  });
});
