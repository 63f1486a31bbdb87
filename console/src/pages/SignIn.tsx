import { useState, type FormEvent } from "react";
import { stringifyDocument } from "urql";
import { MeQuery } from "../api/documents";

interface Props {
  notice: string | null;
  onSignedIn(key: string): void;
}

/** Checks the key with `me` before keeping it, so a typo is told at once. */
export function SignIn({ notice, onSignedIn }: Props) {
  const [key, setKey] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    const trimmed = key.trim();
    if (!trimmed) return setError("Enter an API key.");
    setBusy(true);
    setError(null);
    try {
      const response = await fetch("/graphql", {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${trimmed}` },
        body: JSON.stringify({ query: stringifyDocument(MeQuery) }),
      });
      if (response.status === 401) return setError("This key was not accepted: it is unknown or revoked.");
      const body = await response.json();
      if (!body.data?.me) return setError(body.errors?.[0]?.message ?? "The server could not check this key.");
      onSignedIn(trimmed);
    } catch {
      setError("The server cannot be reached.");
    } finally {
      setBusy(false);
    }
  }

  return (
    <main className="signin">
      <form className="card signin-card" onSubmit={submit} aria-labelledby="signin-title">
        <div className="brand brand-large" aria-hidden="true">numplane</div>
        <h1 id="signin-title">Sign in</h1>
        <p className="muted">Use an API key. It is kept in this tab only and forgotten when you sign out or close it.</p>
        {notice && <p className="notice" role="status">{notice}</p>}
        <label htmlFor="api-key">API key</label>
        <input
          id="api-key" type="password" autoComplete="off" spellCheck={false} autoFocus
          value={key} onChange={(e) => setKey(e.target.value)}
          aria-invalid={error ? true : undefined} aria-describedby={error ? "api-key-error" : undefined}
        />
        {error && <p id="api-key-error" className="field-error" role="alert">{error}</p>}
        <button type="submit" className="primary" disabled={busy}>{busy ? "Checking…" : "Sign in"}</button>
      </form>
    </main>
  );
}
