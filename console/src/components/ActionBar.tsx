import { useState } from "react";
import { useClient } from "urql";
import { ACTIONS, runAction, type Action, type Outcome } from "../actions";
import { ConfirmDialog } from "./ConfirmDialog";
import { Outcomes } from "./Outcomes";

interface Props {
  numbers: string[];
  accountId: string | null;
  isAdmin: boolean;
  onDone?(outcomes: Outcome[]): void;
}

/** Lifecycle actions on one number or on the selected rows, with a result line per number. */
export function ActionBar({ numbers, accountId, isAdmin, onDone }: Props) {
  const client = useClient();
  const [pending, setPending] = useState<Action | null>(null);
  const [busy, setBusy] = useState(false);
  const [results, setResults] = useState<Outcome[] | null>(null);

  async function run(action: Action) {
    setPending(null);
    setBusy(true);
    try {
      const outcome = await runAction(client, action.id, numbers, accountId);
      setResults(outcome);
      onDone?.(outcome);
    } finally {
      setBusy(false);
    }
  }

  const what = numbers.length === 1 ? numbers[0] : `${numbers.length} numbers`;
  return (
    <div className="actions">
      <div className="action-buttons" role="group" aria-label="Actions">
        {ACTIONS.filter((a) => isAdmin || !a.adminOnly).map((action) => (
          <button
            key={action.id} type="button" className={action.destructive ? "danger-outline" : "secondary"}
            disabled={busy || numbers.length === 0}
            onClick={() => (action.destructive ? setPending(action) : void run(action))}
          >
            {action.label}
          </button>
        ))}
        {busy && <span className="muted" aria-live="polite">Working…</span>}
      </div>
      {pending && (
        <ConfirmDialog
          title={`${pending.label} ${what}?`}
          body={`${pending.label} cannot be undone from here. It applies to ${what}.`}
          confirmLabel={pending.label}
          onConfirm={() => void run(pending)}
          onCancel={() => setPending(null)}
        />
      )}
      {results && <Outcomes outcomes={results} onDismiss={() => setResults(null)} />}
    </div>
  );
}
