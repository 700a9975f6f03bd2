import { useRef, useState } from "preact/hooks";
import { IGNORE_PRESETS, type IgnoreDetails, customIgnore } from "../ignore-choices";

/**
 * "Ignore until…": a disclosure with Sentry's ignore options and a form for a count of events
 * and/or a date. A native <details>, so it opens with Enter or Space and every choice is a
 * button in tab order; Escape closes it and gives focus back to its summary.
 */
export function IgnoreMenu({
  disabled,
  onIgnore,
  label = "Ignore until…",
}: {
  disabled: boolean;
  onIgnore: (details: IgnoreDetails) => void;
  label?: string;
}) {
  const menu = useRef<HTMLDetailsElement>(null);
  const [count, setCount] = useState("");
  const [until, setUntil] = useState("");
  const [problem, setProblem] = useState<{ field: "count" | "until"; error: string } | null>(null);

  // The field the problem is about points at the message.
  const invalidIf = (field: "count" | "until") =>
    problem?.field === field ? { "aria-invalid": true, "aria-describedby": "ignore-problem" } : {};
  const close = () => {
    if (menu.current === null) return;
    menu.current.open = false;
    menu.current.querySelector("summary")?.focus();
  };
  const choose = (details: IgnoreDetails) => {
    close();
    onIgnore(details);
  };
  const submit = (e: Event) => {
    e.preventDefault();
    const result = customIgnore({ count, until }, Date.now());
    if ("error" in result) {
      setProblem(result);
      return;
    }
    setProblem(null);
    setCount("");
    setUntil("");
    choose(result.details);
  };

  return (
    <details
      ref={menu}
      class={`menu${disabled ? " disabled" : ""}`}
      onKeyDown={(e) => {
        if (e.key === "Escape" && menu.current?.open) {
          e.preventDefault();
          close();
        }
      }}
    >
      <summary class={`button${disabled ? " disabled" : ""}`} aria-disabled={disabled ? "true" : undefined} tabIndex={disabled ? -1 : 0}>
        {label}
      </summary>
      <div class="menu-panel card" role="group" aria-label="Ignore options">
        {IGNORE_PRESETS.map(({ group, choices }) => (
          <div key={group} class="menu-group" role="group" aria-label={group}>
            <p class="muted small">{group}</p>
            {choices.map((choice) => (
              <button key={choice.label} type="button" class="button small" disabled={disabled} onClick={() => choose(choice.details)}>
                {choice.label}
              </button>
            ))}
          </div>
        ))}
        <form class="menu-group" onSubmit={submit} noValidate>
          <p class="muted small">Until N more events or a date, whichever comes first</p>
          <label>
            <span>More events</span>
            <input
              type="number"
              min={1}
              step={1}
              inputMode="numeric"
              value={count}
              onInput={(e) => setCount(e.currentTarget.value)}
              {...invalidIf("count")}
            />
          </label>
          <label>
            <span>Date</span>
            <input type="datetime-local" value={until} onInput={(e) => setUntil(e.currentTarget.value)} {...invalidIf("until")} />
          </label>
          {problem !== null && (
            <p id="ignore-problem" class="form-error small" role="alert">
              {problem.error}
            </p>
          )}
          <button type="submit" class="button small" disabled={disabled}>
            Ignore until then
          </button>
        </form>
      </div>
    </details>
  );
}
