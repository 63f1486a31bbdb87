import { useEffect, useLayoutEffect, useMemo, useRef, useState, type FormEvent } from "react";
import { useClient, useQuery, useSubscription } from "urql";
import { stateLabel } from "../actions";
import { AccountNumbersQuery, AllNumbersQuery, NumberChangedSubscription, NumberChangesQuery } from "../api/documents";
import { ActionBar } from "../components/ActionBar";
import type { SelectedAccount } from "../components/AccountTree";
import type { NumberRowFragment, NumberState } from "../gql/graphql";
import { useLive } from "../live/context";
import { applyChange, type Change, type Scope } from "../live/rows";
import { href } from "../route";

export const STATES: NumberState[] = [
  "DISCOVERY", "PORT_IN", "AVAILABLE", "RESERVED", "IN_SERVICE", "RELEASED", "AGING", "PORT_OUT",
];

interface Props {
  account: SelectedAccount | null;
  isAdmin: boolean;
}

export function Numbers({ account, isAdmin }: Props) {
  const [state, setState] = useState<NumberState | "">("");
  const [prefix, setPrefix] = useState("");
  const [carrier, setCarrier] = useState("");
  const [includeDescendants, setIncludeDescendants] = useState(true);
  const [applied, setApplied] = useState({ prefix: "", carrier: "" });
  // Keyset paging: the `after` cursor of every page up to this one (null: the first page).
  const [cursors, setCursors] = useState<(string | null)[]>([null]);

  const scope: Scope = useMemo(() => ({
    accountId: account?.accountId ?? null, includeDescendants, states: state ? [state] : [],
    prefix: applied.prefix, carrier: applied.carrier,
  }), [account, includeDescendants, state, applied]);
  useEffect(() => setCursors([null]), [scope]);

  const filter = {
    states: scope.states.length ? scope.states : null, prefix: scope.prefix || null,
    carrier: scope.carrier || null, includeDescendants,
  };
  const after = cursors[cursors.length - 1];
  const [all] = useQuery({ query: AllNumbersQuery, variables: { filter, after }, pause: account !== null });
  const [owned] = useQuery({
    query: AccountNumbersQuery, variables: { accountId: account?.accountId ?? "", filter, after }, pause: account === null,
  });
  const result = account ? owned : all;
  const connection = account ? owned.data?.account?.numbers : all.data?.numbers;
  const fetched = useMemo(() => connection?.edges.map((e) => e.node), [connection]);
  const pageInfo = connection?.pageInfo;
  const onFirstPage = cursors.length === 1;
  const page = { first: onFirstPage, last: !pageInfo?.hasNextPage };

  const [rows, setRows] = useState<NumberRowFragment[]>([]);
  const dataArrived = useRef(false);
  useEffect(() => {
    if (!fetched) return;
    performance.mark("numbers:data");
    dataArrived.current = true;
    setRows(fetched);
  }, [fetched]);
  useLayoutEffect(() => {
    // Time from the page's data arriving to its rows in the DOM (read by the end-to-end run).
    if (dataArrived.current) {
      dataArrived.current = false;
      performance.measure("numbers:render", "numbers:data");
    }
  }, [rows]);

  const live = useLive();
  const client = useClient();
  const lastCursor = useRef<string | null>(null);
  const scopeRef = useRef(scope);
  scopeRef.current = scope;
  const pageRef = useRef(page);
  pageRef.current = page;
  const apply = (change: Change) => {
    lastCursor.current = change.cursor;
    setRows((current) => applyChange(current, change, scopeRef.current, pageRef.current));
  };

  // Where the feed stands as the table opens: the catch-up after a drop starts here.
  useEffect(() => {
    void client.query(NumberChangesQuery, { after: null }, { requestPolicy: "network-only" }).toPromise().then((r) => {
      if (r.data && lastCursor.current === null) lastCursor.current = r.data.numberChanges.cursor;
    });
  }, [client]);

  useSubscription(
    // No state filter here: a number leaving the filtered states must still reach the table to leave it.
    { query: NumberChangedSubscription, variables: { filter: { accountId: scope.accountId, includeDescendants } } },
    (_previous: unknown, data) => {
      apply(data.numberChanged);
      return data;
    },
  );

  // Back after a dropped connection: read every change missed since the last one seen.
  useEffect(() => {
    if (live.reconnects === 0) return;
    let cancelled = false;
    void (async () => {
      for (let more = true; more && !cancelled;) {
        const r = await client.query(NumberChangesQuery, { after: lastCursor.current }, { requestPolicy: "network-only" }).toPromise();
        if (!r.data) return;
        r.data.numberChanges.changes.forEach(apply);
        lastCursor.current = r.data.numberChanges.cursor;
        more = r.data.numberChanges.hasMore;
      }
    })();
    return () => { cancelled = true; };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [live.reconnects]);

  const [selected, setSelected] = useState<Set<string>>(new Set());
  useEffect(() => setSelected(new Set()), [scope, after]);
  const visibleSelected = rows.filter((r) => selected.has(r.e164)).map((r) => r.e164);
  const toggle = (e164: string) => setSelected((s) => {
    const next = new Set(s);
    if (next.has(e164)) next.delete(e164); else next.add(e164);
    return next;
  });
  const allSelected = rows.length > 0 && visibleSelected.length === rows.length;

  function submit(event: FormEvent) {
    event.preventDefault();
    setApplied({ prefix: prefix.trim(), carrier: carrier.trim() });
  }

  const title = account ? `Numbers of ${account.name}` : "All visible numbers";
  return (
    <section aria-labelledby="numbers-title">
      <div className="page-head">
        <h1 id="numbers-title">{title}</h1>
      </div>
      <form className="filters card" onSubmit={submit} aria-label="Filters">
        <div className="field">
          <label htmlFor="filter-state">State</label>
          <select id="filter-state" value={state} onChange={(e) => setState(e.target.value as NumberState | "")}>
            <option value="">Any state</option>
            {STATES.map((s) => <option key={s} value={s}>{stateLabel(s)}</option>)}
          </select>
        </div>
        <div className="field">
          <label htmlFor="filter-prefix">Prefix</label>
          <input id="filter-prefix" placeholder="+1415" value={prefix} onChange={(e) => setPrefix(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor="filter-carrier">Carrier</label>
          <input id="filter-carrier" placeholder="any" value={carrier} onChange={(e) => setCarrier(e.target.value)} />
        </div>
        {account && (
          <div className="field checkbox">
            <input
              id="filter-descendants" type="checkbox" checked={includeDescendants}
              onChange={(e) => setIncludeDescendants(e.target.checked)}
            />
            <label htmlFor="filter-descendants">Include sub-accounts</label>
          </div>
        )}
        <button type="submit" className="secondary">Apply</button>
      </form>

      {visibleSelected.length > 0 && (
        <div className="card bulk" aria-label="Selected numbers">
          <p><strong>{visibleSelected.length}</strong> selected</p>
          <ActionBar numbers={visibleSelected} accountId={scope.accountId} isAdmin={isAdmin} />
        </div>
      )}

      <div className="card table-card">
        {result.error && !fetched ? (
          <p className="empty field-error" role="alert">Could not load numbers: {result.error.message}</p>
        ) : !fetched ? (
          <p className="empty" aria-busy="true">Loading numbers…</p>
        ) : rows.length === 0 ? (
          <p className="empty" data-testid="numbers-empty">No numbers match. Change the filters, or <a href={href({ page: "buy" })}>buy numbers</a>.</p>
        ) : (
          <div className="table-scroll">
            <table className="numbers" aria-label={title} aria-busy={result.fetching}>
              <thead>
                <tr>
                  <th scope="col" className="select">
                    <input
                      type="checkbox" aria-label="Select all on this page" checked={allSelected}
                      onChange={() => setSelected(allSelected ? new Set() : new Set(rows.map((r) => r.e164)))}
                    />
                  </th>
                  <th scope="col">Number</th>
                  <th scope="col">State</th>
                  <th scope="col">Carrier</th>
                  <th scope="col">Owner</th>
                  <th scope="col">Features</th>
                  <th scope="col">Last change</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((row) => (
                  <tr key={row.e164} data-e164={row.e164}>
                    <td className="select">
                      <input
                        type="checkbox" aria-label={`Select ${row.e164}`} checked={selected.has(row.e164)}
                        onChange={() => toggle(row.e164)}
                      />
                    </td>
                    <td><a className="mono" href={href({ page: "number", e164: row.e164 })}>{row.e164}</a></td>
                    <td><StateBadge state={row.state} /></td>
                    <td>{row.carrier}</td>
                    <td>{row.account?.name ?? <span className="muted">—</span>}</td>
                    <td>{row.features.length ? row.features.join(", ") : <span className="muted">—</span>}</td>
                    <td><Time at={row.stateChangedAt} /></td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        <nav className="pager" aria-label="Pages of numbers">
          <button type="button" className="secondary" disabled={onFirstPage} onClick={() => setCursors((c) => c.slice(0, -1))}>
            ← Previous
          </button>
          <span className="muted" data-testid="page-number">Page {cursors.length}</span>
          <button
            type="button" className="secondary" disabled={!pageInfo?.hasNextPage}
            onClick={() => pageInfo?.endCursor && setCursors((c) => [...c, pageInfo.endCursor ?? null])}
          >
            Next →
          </button>
        </nav>
      </div>
    </section>
  );
}

export function StateBadge({ state }: { state: string }) {
  return <span className={`badge state-${state.toLowerCase()}`} data-testid="state">{stateLabel(state)}</span>;
}

export function Time({ at }: { at: string }) {
  const date = new Date(at);
  return <time dateTime={at} title={date.toISOString()}>{date.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" })}</time>;
}
