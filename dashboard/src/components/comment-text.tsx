import { commentParagraphs } from "../comment-text";

/** A comment shown as text, with its paragraphs, line breaks, `code` and **bold** (comment-text.ts). */
export function CommentText({ text }: { text: string }) {
  return (
    <div class="comment-text">
      {commentParagraphs(text).map((parts, i) => (
        <p key={i}>
          {parts.map((part, j) =>
            part.kind === "break" ? (
              <br key={j} />
            ) : part.kind === "code" ? (
              <code key={j}>{part.text}</code>
            ) : part.kind === "strong" ? (
              <strong key={j}>{part.text}</strong>
            ) : (
              part.text
            ),
          )}
        </p>
      ))}
    </div>
  );
}
