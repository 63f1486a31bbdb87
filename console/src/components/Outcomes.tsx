import type { Outcome } from "../actions";

interface Props {
  outcomes: Outcome[];
  className?: string;
  onDismiss?(): void;
}

/** One line per number of a lifecycle action: what happened to it, or why it failed. */
export function Outcomes({ outcomes, className = "results", onDismiss }: Props) {
  return (
    <section className={className} aria-label="Results" aria-live="polite">
      <div className="results-head">
        <strong>Results</strong>
        {onDismiss && <button type="button" className="link" onClick={onDismiss}>Dismiss</button>}
      </div>
      <ul>
        {outcomes.map((r) => (
          <li key={r.e164} className={r.ok ? "ok" : "failed"} data-testid="action-result">
            <span className="mono">{r.e164}</span> <span>{r.ok ? "✓" : "✕"} {r.message}</span>
          </li>
        ))}
      </ul>
    </section>
  );
}
