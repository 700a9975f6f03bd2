import { describe, expect, it } from "vitest";
import { commentParagraphs } from "../../dashboard/src/comment-text";

describe("commentParagraphs", () => {
  it("splits paragraphs on blank lines and keeps single line breaks", () => {
    expect(commentParagraphs("Seen again.\nSame stack.\n\n\nFixed in 2.5.0")).toEqual([
      [{ kind: "text", text: "Seen again." }, { kind: "break" }, { kind: "text", text: "Same stack." }],
      [{ kind: "text", text: "Fixed in 2.5.0" }],
    ]);
    expect(commentParagraphs("a\r\n\r\nb")).toEqual([[{ kind: "text", text: "a" }], [{ kind: "text", text: "b" }]]);
    expect(commentParagraphs("  \n\n  ")).toEqual([]);
  });

  it("reads `code` and **bold**, nothing bold inside code", () => {
    expect(commentParagraphs("call `order.customer?.id` **before** `**x**`")).toEqual([
      [
        { kind: "text", text: "call " },
        { kind: "code", text: "order.customer?.id" },
        { kind: "text", text: " " },
        { kind: "strong", text: "before" },
        { kind: "text", text: " " },
        { kind: "code", text: "**x**" },
      ],
    ]);
    // Unclosed or empty markers stay as typed.
    expect(commentParagraphs("2 ** 3 and `tick and ****")).toEqual([[{ kind: "text", text: "2 ** 3 and `tick and ****" }]]);
  });

  it("leaves markup and links as the characters typed: there is no HTML and no link kind", () => {
    const markup = `<script>alert(1)</script> <img src=x onerror="alert(2)"> [x](javascript:alert(3))`;
    expect(commentParagraphs(markup)).toEqual([[{ kind: "text", text: markup }]]);
    expect(commentParagraphs("**<b>hi</b>**")).toEqual([[{ kind: "strong", text: "<b>hi</b>" }]]);
  });
});
