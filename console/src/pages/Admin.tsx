import { useState, type FormEvent } from "react";
import { useMutation, useQuery } from "urql";
import { stateLabel } from "../actions";
import {
  CreateAccountMutation, CreateApiKeyMutation, RevokeApiKeyMutation, SystemConfigQuery, UpdateSystemConfigMutation,
} from "../api/documents";
import type { SelectedAccount } from "../components/AccountTree";
import type { NumberState, SystemConfigQuery as SystemConfigQueryResult } from "../gql/graphql";
import { STATES } from "./Numbers";

interface UserError { code: string; message: string; field?: string[] | null }

function Errors({ errors }: { errors: UserError[] }) {
  return <>{errors.map((e, i) => <p key={i} className="field-error" role="alert">{e.code}: {e.message}</p>)}</>;
}

export function Admin({ parent }: { parent: SelectedAccount }) {
  return (
    <section aria-labelledby="admin-title">
      <div className="page-head"><h1 id="admin-title">Admin</h1></div>
      <div className="detail-grid">
        <CreateAccount parent={parent} />
        <ApiKeys account={parent} />
      </div>
      <SystemConfigEditor />
    </section>
  );
}

function CreateAccount({ parent }: { parent: SelectedAccount }) {
  const [name, setName] = useState("");
  const [errors, setErrors] = useState<UserError[]>([]);
  const [created, setCreated] = useState<{ name: string; accountId: string } | null>(null);
  const [{ fetching }, create] = useMutation(CreateAccountMutation);

  async function submit(event: FormEvent) {
    event.preventDefault();
    const r = await create({ input: { name: name.trim(), parentAccountId: parent.accountId } });
    const payload = r.data?.createAccount;
    setErrors(r.error ? [{ code: "ERROR", message: r.error.message }] : payload?.userErrors ?? []);
    if (payload?.account) {
      setCreated(payload.account);
      setName("");
    }
  }
  return (
    <form className="card" onSubmit={submit} aria-labelledby="new-account-title">
      <h2 id="new-account-title">New sub-account</h2>
      <p className="muted small">Created under <strong>{parent.name}</strong>.</p>
      <div className="field">
        <label htmlFor="account-name">Name</label>
        <input id="account-name" required value={name} onChange={(e) => setName(e.target.value)} />
      </div>
      <Errors errors={errors} />
      {created && <p className="saved" role="status">Created {created.name} ({created.accountId}).</p>}
      <button type="submit" className="primary" disabled={fetching || !name.trim()}>Create account</button>
    </form>
  );
}

function ApiKeys({ account }: { account: SelectedAccount }) {
  const [role, setRole] = useState("user");
  const [name, setName] = useState("");
  const [created, setCreated] = useState<{ key: string; keyId: string } | null>(null);
  const [copied, setCopied] = useState(false);
  const [revokeId, setRevokeId] = useState("");
  const [revoked, setRevoked] = useState<string | null>(null);
  const [errors, setErrors] = useState<UserError[]>([]);
  const [, createKey] = useMutation(CreateApiKeyMutation);
  const [, revokeKey] = useMutation(RevokeApiKeyMutation);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setCopied(false);
    const r = await createKey({ input: { accountId: account.accountId, role, name: name.trim() || null } });
    const payload = r.data?.createApiKey;
    setErrors(r.error ? [{ code: "ERROR", message: r.error.message }] : payload?.userErrors ?? []);
    setCreated(payload?.key && payload.keyId ? { key: payload.key, keyId: payload.keyId } : null);
  }

  async function revoke(event: FormEvent) {
    event.preventDefault();
    const r = await revokeKey({ keyId: revokeId.trim() });
    const payload = r.data?.revokeApiKey;
    setErrors(r.error ? [{ code: "ERROR", message: r.error.message }] : payload?.userErrors ?? []);
    if (payload?.keyId && payload.userErrors.length === 0) {
      setRevoked(payload.keyId);
      setRevokeId("");
    }
  }

  async function copy() {
    if (!created) return;
    try {
      await navigator.clipboard.writeText(created.key);
      setCopied(true);
    } catch {
      setCopied(false);
    }
  }

  return (
    <div className="card">
      <form onSubmit={submit} aria-labelledby="new-key-title">
        <h2 id="new-key-title">API keys</h2>
        <p className="muted small">A new key for <strong>{account.name}</strong>. It is shown once.</p>
        <div className="row">
          <div className="field">
            <label htmlFor="key-role">Role</label>
            <select id="key-role" value={role} onChange={(e) => setRole(e.target.value)}>
              <option value="user">user</option>
              <option value="admin">admin</option>
              <option value="router">router</option>
            </select>
          </div>
          <div className="field grow">
            <label htmlFor="key-name">Label (optional)</label>
            <input id="key-name" value={name} onChange={(e) => setName(e.target.value)} />
          </div>
        </div>
        <button type="submit" className="primary">Create key</button>
      </form>
      {created && (
        <div className="new-key" role="status">
          <p><strong>Copy this key now:</strong> it will not be shown again.</p>
          <div className="row">
            <input aria-label="New API key" readOnly className="mono grow" value={created.key} data-testid="new-key"
              onFocus={(e) => e.target.select()} />
            <button type="button" className="secondary" onClick={() => void copy()}>{copied ? "Copied" : "Copy"}</button>
          </div>
          <p className="muted small">Key id (to revoke it later): <span className="mono" data-testid="new-key-id">{created.keyId}</span></p>
        </div>
      )}
      <form onSubmit={revoke} aria-label="Revoke a key" className="revoke">
        <div className="row">
          <div className="field grow">
            <label htmlFor="revoke-id">Revoke key id</label>
            <input id="revoke-id" className="mono" value={revokeId} onChange={(e) => setRevokeId(e.target.value)} />
          </div>
          <button type="submit" className="danger-outline" disabled={!revokeId.trim()}>Revoke</button>
        </div>
      </form>
      {revoked && <p className="saved" role="status">Revoked {revoked}.</p>}
      <Errors errors={errors} />
    </div>
  );
}

function SystemConfigEditor() {
  const [{ data, fetching }] = useQuery({ query: SystemConfigQuery });
  const config = data?.systemConfig;
  if (!config) return <div className="card"><h2>System configuration</h2><p aria-busy={fetching}>Loading…</p></div>;
  return <ConfigForm key={JSON.stringify(config)} config={config} />;
}

type Config = SystemConfigQueryResult["systemConfig"];

function ConfigForm({ config }: { config: Config }) {
  const [form, setForm] = useState({
    releasedState: config.releasedState, shouldPermanentlyDelete: config.shouldPermanentlyDelete,
    shouldAge: config.shouldAge, agingDays: config.agingDays, discoveryExpiryDays: config.discoveryExpiryDays,
    historyLength: config.historyLength, featuresAllowed: config.featuresAllowed.join(", "),
    carriers: config.carriers.join(", "), defaultRegion: config.defaultRegion, maxBatch: config.maxBatch,
  });
  const [errors, setErrors] = useState<UserError[]>([]);
  const [saved, setSaved] = useState(false);
  const [{ fetching }, update] = useMutation(UpdateSystemConfigMutation);
  const set = (key: keyof typeof form, value: unknown) => {
    setSaved(false);
    setForm((f) => ({ ...f, [key]: value }));
  };
  const list = (text: string) => text.split(",").map((s) => s.trim()).filter(Boolean);
  const fieldError = (name: string) => errors.find((e) => e.field?.includes(name))?.message;

  async function submit(event: FormEvent) {
    event.preventDefault();
    const r = await update({
      input: {
        ...form, featuresAllowed: list(form.featuresAllowed), carriers: list(form.carriers),
        agingDays: Number(form.agingDays), discoveryExpiryDays: Number(form.discoveryExpiryDays),
        historyLength: Number(form.historyLength), maxBatch: Number(form.maxBatch),
      },
    });
    const payload = r.data?.updateSystemConfig;
    setErrors(r.error ? [{ code: "ERROR", message: r.error.message }] : payload?.userErrors ?? []);
    setSaved(Boolean(payload?.config && payload.userErrors.length === 0));
  }

  const number = (key: "agingDays" | "discoveryExpiryDays" | "historyLength" | "maxBatch", label: string) => (
    <div className="field">
      <label htmlFor={`config-${key}`}>{label}</label>
      <input id={`config-${key}`} type="number" min={0} value={form[key]} onChange={(e) => set(key, e.target.value)}
        aria-invalid={fieldError(key) ? true : undefined} />
      {fieldError(key) && <p className="field-error">{fieldError(key)}</p>}
    </div>
  );
  return (
    <form className="card" onSubmit={submit} aria-labelledby="config-title">
      <h2 id="config-title">System configuration</h2>
      <div className="config-grid">
        <div className="field">
          <label htmlFor="config-releasedState">Released numbers go to</label>
          <select id="config-releasedState" value={form.releasedState} onChange={(e) => set("releasedState", e.target.value as NumberState)}>
            {STATES.map((s) => <option key={s} value={s}>{stateLabel(s)}</option>)}
          </select>
        </div>
        {number("agingDays", "Aging days")}
        {number("discoveryExpiryDays", "Discovery expiry days")}
        {number("historyLength", "History length")}
        {number("maxBatch", "Max numbers per request")}
        <div className="field">
          <label htmlFor="config-defaultRegion">Default region</label>
          <input id="config-defaultRegion" value={form.defaultRegion} onChange={(e) => set("defaultRegion", e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor="config-featuresAllowed">Features allowed</label>
          <input id="config-featuresAllowed" value={form.featuresAllowed} onChange={(e) => set("featuresAllowed", e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor="config-carriers">Carriers</label>
          <input id="config-carriers" value={form.carriers} onChange={(e) => set("carriers", e.target.value)} />
        </div>
        <div className="field checkbox">
          <input id="config-shouldAge" type="checkbox" checked={form.shouldAge} onChange={(e) => set("shouldAge", e.target.checked)} />
          <label htmlFor="config-shouldAge">Age released numbers</label>
        </div>
        <div className="field checkbox">
          <input id="config-delete" type="checkbox" checked={form.shouldPermanentlyDelete}
            onChange={(e) => set("shouldPermanentlyDelete", e.target.checked)} />
          <label htmlFor="config-delete">Delete numbers permanently</label>
        </div>
      </div>
      <Errors errors={errors.filter((e) => !e.field)} />
      {saved && <p className="saved" role="status">Saved.</p>}
      <button type="submit" className="primary" disabled={fetching}>Save configuration</button>
    </form>
  );
}
