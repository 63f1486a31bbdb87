import { useState, type FormEvent } from "react";
import { useClient } from "urql";
import { runAction, stateLabel, type Outcome } from "../actions";
import { SearchNumbersQuery } from "../api/documents";
import type { SelectedAccount } from "../components/AccountTree";
import { Outcomes } from "../components/Outcomes";
import type { SearchNumbersQuery as Found } from "../gql/graphql";

/** Find numbers with searchNumbers, pick some, activate them for the selected account. */
export function Buy({ account }: { account: SelectedAccount }) {
  const client = useClient();
  const [prefix, setPrefix] = useState("+1");
  const [quantity, setQuantity] = useState(10);
  const [found, setFound] = useState<Found["searchNumbers"] | null>(null);
  const [picked, setPicked] = useState<Set<string>>(new Set());
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [results, setResults] = useState<Outcome[] | null>(null);

  async function search(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    setResults(null);
    const r = await client.query(SearchNumbersQuery, { prefix: prefix.trim(), quantity }, { requestPolicy: "network-only" }).toPromise();
    setBusy(false);
    if (r.error) return setError(r.error.graphQLErrors[0]?.message ?? r.error.message);
    setFound(r.data?.searchNumbers ?? []);
    setPicked(new Set());
  }

  async function activate() {
    setBusy(true);
    setResults(await runAction(client, "activate", [...picked], account.accountId));
    setBusy(false);
  }

  const toggle = (e164: string) => setPicked((p) => {
    const next = new Set(p);
    if (next.has(e164)) next.delete(e164); else next.add(e164);
    return next;
  });

  return (
    <section aria-labelledby="buy-title">
      <div className="page-head"><h1 id="buy-title">Buy numbers</h1></div>
      <p className="muted">Numbers are activated for <strong>{account.name}</strong> (choose another account on the left).</p>
      <form className="filters card" onSubmit={search} aria-label="Search numbers">
        <div className="field">
          <label htmlFor="buy-prefix">Prefix</label>
          <input id="buy-prefix" value={prefix} onChange={(e) => setPrefix(e.target.value)} placeholder="+1415" />
        </div>
        <div className="field">
          <label htmlFor="buy-quantity">How many</label>
          <input id="buy-quantity" type="number" min={1} max={100} value={quantity}
            onChange={(e) => setQuantity(Number(e.target.value) || 1)} />
        </div>
        <button type="submit" className="primary" disabled={busy}>Search</button>
      </form>
      {error && <p className="field-error" role="alert">{error}</p>}
      {found && (
        <div className="card">
          {found.length === 0 ? <p className="empty">Nothing found for {prefix}. Try a shorter prefix.</p> : (
            <>
              <ul className="candidates" aria-label="Numbers found">
                {found.map((c) => (
                  <li key={c.e164}>
                    <input id={`pick-${c.e164}`} type="checkbox" checked={picked.has(c.e164)} onChange={() => toggle(c.e164)} />
                    <label htmlFor={`pick-${c.e164}`}><span className="mono">{c.e164}</span>
                      <span className="muted small"> {stateLabel(c.state)} · {c.carrier}</span></label>
                  </li>
                ))}
              </ul>
              <div className="form-actions">
                <button type="button" className="primary" disabled={busy || picked.size === 0} onClick={() => void activate()}>
                  Activate {picked.size || ""} {picked.size === 1 ? "number" : "numbers"}
                </button>
              </div>
            </>
          )}
        </div>
      )}
      {results && <Outcomes outcomes={results} className="card results" />}
    </section>
  );
}
