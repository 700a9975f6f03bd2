/**
 * The crash-report dialog's script, as `GET /api/embed/error-page/` serves it to
 * `Sentry.showReportDialog()` (@sentry/browser's report-dialog.js injects it as a `<script>`
 * into the page). It draws a modal form in the page and posts the report, form-encoded, back to
 * the URL it came from; closing the dialog posts `__sentry_reportdialog_closed__` to the window,
 * which the SDK turns into its `onClose` callback. The texts come from the query string, with
 * Sentry's defaults (https://docs.sentry.io/platforms/javascript/user-feedback/#crash-report-modal),
 * and reach the page only as text nodes, never as markup.
 */

/** The dialog's texts a caller may change, by their query parameter, and Sentry's defaults. */
export const DIALOG_TEXTS = {
  title: "It looks like we're having issues.",
  subtitle: "Our team has been notified.",
  subtitle2: "If you'd like to help, tell us what happened below.",
  labelName: "Name",
  labelEmail: "Email",
  labelComments: "What happened?",
  labelClose: "Close",
  labelSubmit: "Submit Crash Report",
  errorGeneric: "An unknown error occurred while submitting your report. Please try again.",
  errorFormEntry: "Some fields were invalid. Please correct the errors and try again.",
  successMessage: "Your feedback has been sent. Thank you!",
} as const;

export type DialogTexts = Record<keyof typeof DIALOG_TEXTS, string>;

export interface DialogConfig {
  /** Where the form posts: the URL the script was served from. */
  endpoint: string;
  name: string;
  email: string;
  texts: DialogTexts;
}

/** The texts from a query string, each capped; an absent or empty one is the default. */
export function dialogTexts(query: (name: string) => string | undefined): DialogTexts {
  const texts = { ...DIALOG_TEXTS } as DialogTexts;
  for (const key of Object.keys(DIALOG_TEXTS) as Array<keyof DialogTexts>) {
    const value = query(key)?.trim();
    if (value) texts[key] = value.slice(0, 500);
  }
  return texts;
}

/**
 * JSON that is safe inside a script: `<` cannot close the script element, and U+2028/U+2029
 * (line terminators in older JavaScript) are escaped.
 */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, "\\u003c")
    .replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");
}

export function errorPageScript(config: DialogConfig): string {
  return `(function () {
  var config = ${scriptJson(config)};
  var t = config.texts;
  var doc = document;
  function el(tag, attrs, text) {
    var node = doc.createElement(tag);
    for (var key in attrs) node.setAttribute(key, attrs[key]);
    if (text) node.textContent = text;
    return node;
  }
  var style = el("style", {}, ".sentry-error-embed-wrapper{position:fixed;inset:0;z-index:1000;background:rgba(0,0,0,.6);display:flex;align-items:center;justify-content:center;font:14px/1.4 system-ui,sans-serif}" +
    ".sentry-error-embed{background:#fff;color:#222;max-width:480px;width:90%;padding:24px;border-radius:6px;box-shadow:0 4px 24px rgba(0,0,0,.3)}" +
    ".sentry-error-embed h2{margin:0 0 4px;font-size:18px}.sentry-error-embed label{display:block;margin:12px 0 4px;font-weight:600}" +
    ".sentry-error-embed input,.sentry-error-embed textarea{width:100%;box-sizing:border-box;padding:6px;border:1px solid #bbb;border-radius:4px;font:inherit}" +
    ".sentry-error-embed .form-submit{margin-top:16px;display:flex;gap:8px;justify-content:flex-end}.sentry-error-embed .message-error{color:#b00}.sentry-error-embed .message-success{color:#060}");
  var wrapper = el("div", { "class": "sentry-error-embed-wrapper" });
  var dialog = el("div", { "class": "sentry-error-embed", role: "dialog", "aria-modal": "true" });
  dialog.appendChild(el("h2", {}, t.title));
  dialog.appendChild(el("p", {}, t.subtitle + " " + t.subtitle2));
  var form = el("form", {});
  var message = el("p", { "class": "message-error", role: "alert" });
  function field(name, label, tag, type, value) {
    form.appendChild(el("label", { "for": "sentry-feedback-" + name }, label));
    var input = el(tag, { id: "sentry-feedback-" + name, name: name, required: "" });
    if (type) input.setAttribute("type", type);
    if (tag === "textarea") input.setAttribute("rows", "5");
    if (value) input.value = value;
    form.appendChild(input);
  }
  field("name", t.labelName, "input", "text", config.name);
  field("email", t.labelEmail, "input", "email", config.email);
  field("comments", t.labelComments, "textarea", "", "");
  form.appendChild(message);
  var buttons = el("div", { "class": "form-submit" });
  var close = el("button", { type: "button", "class": "close" }, t.labelClose);
  var submit = el("button", { type: "submit", "class": "submit" }, t.labelSubmit);
  buttons.appendChild(close);
  buttons.appendChild(submit);
  form.appendChild(buttons);
  dialog.appendChild(form);
  wrapper.appendChild(dialog);
  function closeDialog() {
    if (wrapper.parentNode) wrapper.parentNode.removeChild(wrapper);
    window.postMessage("__sentry_reportdialog_closed__", "*");
  }
  close.addEventListener("click", closeDialog);
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    submit.disabled = true;
    message.textContent = "";
    var body = new URLSearchParams(new FormData(form)).toString();
    fetch(config.endpoint, { method: "POST", headers: { "Content-Type": "application/x-www-form-urlencoded" }, body: body })
      .then(function (res) {
        if (res.ok) {
          dialog.replaceChildren(el("p", { "class": "message-success" }, t.successMessage));
          setTimeout(closeDialog, 2000);
          return;
        }
        message.textContent = res.status === 400 ? t.errorFormEntry : t.errorGeneric;
        submit.disabled = false;
      })
      .catch(function () {
        message.textContent = t.errorGeneric;
        submit.disabled = false;
      });
  });
  doc.head.appendChild(style);
  doc.body.appendChild(wrapper);
})();
`;
}
