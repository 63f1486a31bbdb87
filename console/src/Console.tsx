import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { Provider, useQuery } from "urql";
import { createApiClient, type Connection } from "./api/client";
import { MeQuery } from "./api/documents";
import { AccountTree, type SelectedAccount } from "./components/AccountTree";
import { LiveContext } from "./live/context";
import { Admin } from "./pages/Admin";
import { Buy } from "./pages/Buy";
import { NumberDetail } from "./pages/NumberDetail";
import { Numbers } from "./pages/Numbers";
import { href, useRoute } from "./route";

interface Props {
  apiKey: string;
  onSignOut(message?: string): void;
}

export function Console({ apiKey, onSignOut }: Props) {
  const [connection, setConnection] = useState<Connection>("connecting");
  const [reconnects, setReconnects] = useState(0);
  const [storeDown, setStoreDown] = useState(false);
  const signOut = useRef<(message?: string) => void>(onSignOut);

  const { client, ws } = useMemo(
    () =>
      createApiClient(apiKey, {
        onUnauthenticated: () => signOut.current("Your API key is no longer accepted (revoked or unknown). Sign in again."),
        onStore: (available) => setStoreDown(!available),
        onConnection: setConnection,
        onReconnected: () => setReconnects((n) => n + 1),
      }),
    [apiKey],
  );
  // The socket closes on sign-out (not in an effect cleanup, which StrictMode runs once at mount in development).
  signOut.current = (message?: string) => {
    void ws.dispose();
    onSignOut(message);
  };

  return (
    <Provider value={client}>
      <LiveContext.Provider value={{ connection, reconnects }}>
        <Shell connection={connection} storeDown={storeDown} onSignOut={() => signOut.current()} />
      </LiveContext.Provider>
    </Provider>
  );
}

function Shell({ connection, storeDown, onSignOut }: { connection: Connection; storeDown: boolean; onSignOut(): void }) {
  const route = useRoute();
  const [me, refetchMe] = useQuery({ query: MeQuery });
  const [selected, setSelected] = useState<SelectedAccount | null>(null);
  const [navOpen, setNavOpen] = useState(false);

  // While the store is down, ask again every few seconds so the banner clears by itself.
  useEffect(() => {
    if (!storeDown) return;
    const timer = setInterval(() => refetchMe({ requestPolicy: "network-only" }), 3000);
    return () => clearInterval(timer);
  }, [storeDown, refetchMe]);

  const account = me.data?.me;
  const choose = useCallback((a: SelectedAccount | null) => {
    setSelected(a);
    setNavOpen(false);
    window.location.hash = href({ page: "numbers" });
  }, []);

  return (
    <div className="shell">
      <a className="skip" href="#main">Skip to content</a>
      <header className="topbar">
        <button
          type="button" className="nav-toggle" aria-expanded={navOpen} aria-controls="accounts-nav"
          onClick={() => setNavOpen((o) => !o)}
        >
          Accounts
        </button>
        <span className="brand">numplane</span>
        <nav aria-label="Pages" className="pages">
          <a href={href({ page: "numbers" })} aria-current={route.page === "numbers" ? "page" : undefined}>Numbers</a>
          <a href={href({ page: "buy" })} aria-current={route.page === "buy" ? "page" : undefined}>Buy numbers</a>
          {account?.isAdmin && (
            <a href={href({ page: "admin" })} aria-current={route.page === "admin" ? "page" : undefined}>Admin</a>
          )}
        </nav>
        <span className={`live live-${connection}`} role="status" aria-live="polite" data-testid="live-indicator">
          <span className="dot" aria-hidden="true" />
          {connection === "live" ? "Live" : connection === "connecting" ? "Connecting" : "Offline"}
        </span>
        <span className="whoami" data-testid="whoami">
          {account ? <>{account.name}{account.isAdmin && <span className="tag">admin</span>}</> : "…"}
        </span>
        <button type="button" className="ghost" onClick={onSignOut}>Sign out</button>
      </header>
      {storeDown && (
        <div className="banner" role="alert" data-testid="store-banner">
          The database is unavailable right now. What you see may be out of date; this clears when it is back.
        </div>
      )}
      <div className="body">
        <aside id="accounts-nav" className={navOpen ? "sidebar open" : "sidebar"} aria-label="Accounts">
          {account && <AccountTree root={account} selected={selected} onSelect={choose} />}
        </aside>
        <main id="main" className="content" tabIndex={-1}>
          {!account ? (
            <p className="loading" aria-busy="true">Loading…</p>
          ) : route.page === "number" ? (
            <NumberDetail e164={route.e164} isAdmin={account.isAdmin} account={selected} />
          ) : route.page === "buy" ? (
            <Buy account={selected ?? { accountId: account.accountId, name: account.name }} />
          ) : route.page === "admin" && account.isAdmin ? (
            <Admin parent={selected ?? { accountId: account.accountId, name: account.name }} />
          ) : (
            <Numbers account={selected} isAdmin={account.isAdmin} />
          )}
        </main>
      </div>
    </div>
  );
}
