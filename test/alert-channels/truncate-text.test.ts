import { describe, expect, it } from "vitest";
import { truncateText } from "../../alert-channels/truncate-text";

describe("truncateText", () => {
  it("leaves short text alone and ends cut text with an ellipsis, within the limit", () => {
    expect(truncateText("short", 10)).toBe("short");
    expect(truncateText("exactly10!", 10)).toBe("exactly10!");
    expect(truncateText("a bit too long", 10)).toBe("a bit too…");
    expect(truncateText("anything", 0)).toBe("");
  });

  it("never leaves half of a surrogate pair", () => {
    const cut = truncateText("ab💥💥💥", 4);
    expect(cut).toBe("ab…");
    expect(cut.length).toBeLessThanOrEqual(4);
    for (let max = 1; max < 12; max++) expect(truncateText("🔥".repeat(6), max)).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])/);
  });
});
