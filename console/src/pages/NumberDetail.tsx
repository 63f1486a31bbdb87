import { useState, type FormEvent } from "react";
import { useMutation, useQuery } from "urql";
import { stateLabel } from "../actions";
import { NumberDetailQuery, UpdateNumberMutation } from "../api/documents";
import { ActionBar } from "../components/ActionBar";
import type { SelectedAccount } from "../components/AccountTree";
import { href } from "../route";
import { StateBadge, Time } from "./Numbers";

const E911_FIELDS: { key: string; label: string; required?: boolean; hint?: string }[] = [
  { key: "street_address", label: "Street address", required: true },
  { key: "extended_address", label: "Suite, floor" },
  { key: "locality", label: "City", required: true },
  { key: "region", label: "State / region", required: true, hint: "2 letters, e.g. CA" },
  { key: "postal_code", label: "Postal code", required: true },
  { key: "caller_name", label: "Caller name" },
];
const FEATURE_KEYS = ["e911", "cnam"];

type Fields = Record<string, unknown>;
interface UserError { code: string; message: string; field?: string[] | null }

interface Props {
  e164: string;
  isAdmin: boolean;
  account: SelectedAccount | null;
}

export function NumberDetail({ e164, isAdmin, account }: Props) {
  const [{ data, fetching, error }, reload] = useQuery({ query: NumberDetailQuery, variables: { number: e164 } });
  const number = data?.number;
  // The editor starts afresh for each revision; "Saved." belongs to the revision the save produced.
  const [savedRevision, setSavedRevision] = useState<string | null>(null);

  if (!number) {
    return (
      <section>
        <p><a href={href({ page: "numbers" })}>← Numbers</a></p>
        {fetching ? <p className="empty" aria-busy="true">Loading {e164}…</p>
          : error ? <p className="field-error" role="alert">{error.message}</p>
          : <p className="empty">{e164} is not a number you can see.</p>}
      </section>
    );
  }
  return (
    <section aria-labelledby="number-title" className="detail">
      <p><a href={href({ page: "numbers" })}>← Numbers</a></p>
      <div className="page-head">
        <h1 id="number-title" className="mono">{number.e164}</h1>
        <StateBadge state={number.state} />
      </div>
      <div className="detail-grid">
        <div className="card">
          <h2>Summary</h2>
          <dl className="facts">
            <dt>State</dt><dd data-testid="detail-state">{stateLabel(number.state)}</dd>
            <dt>Owner</dt><dd>{number.account?.name ?? "unassigned"}</dd>
            <dt>Carrier</dt><dd>{number.carrier}{number.portedIn ? " (ported in)" : ""}</dd>
            <dt>Kind</dt><dd>{number.classification}</dd>
            <dt>Features</dt><dd>{number.features.join(", ") || "none"}</dd>
            <dt>Reserved by</dt><dd>{number.reserveHistory.map((a) => a.name).join(" → ") || "nobody"}</dd>
            <dt>Revision</dt><dd className="mono" data-testid="revision">{number.revision}</dd>
            <dt>Changed</dt><dd><Time at={number.modifiedAt} /></dd>
          </dl>
          <h2>Actions</h2>
          <ActionBar numbers={[number.e164]} accountId={account?.accountId ?? null} isAdmin={isAdmin}
            onDone={() => reload({ requestPolicy: "network-only" })} />
        </div>
        <div className="card">
          <h2>History</h2>
          {number.history.length === 0 ? <p className="muted">No history yet.</p> : (
            <ol className="timeline" aria-label="History">
              {[...number.history].reverse().map((t, i) => (
                <li key={`${t.at}-${i}`}>
                  <div><strong>{t.action}</strong>{" "}
                    <span className="muted">{t.from ? stateLabel(t.from) : "—"} → {t.to ? stateLabel(t.to) : "—"}</span></div>
                  <div className="muted small"><Time at={t.at} />{t.requester ? ` · by ${t.requester}` : ""}</div>
                </li>
              ))}
            </ol>
          )}
        </div>
      </div>
      <PublicFieldsEditor
        key={number.revision} e164={number.e164} revision={number.revision}
        fields={(number.publicFields ?? {}) as Fields} onReload={() => reload({ requestPolicy: "network-only" })}
        justSaved={savedRevision === number.revision} onSaved={setSavedRevision}
      />
    </section>
  );
}

function text(value: unknown): string {
  return value === undefined || value === null ? "" : String(value);
}

function PublicFieldsEditor({ e164, revision, fields, onReload, justSaved, onSaved }: {
  e164: string; revision: string; fields: Fields; onReload(): void; justSaved: boolean; onSaved(revision: string): void;
}) {
  const e911 = (fields.e911 ?? {}) as Fields;
  const cnam = (fields.cnam ?? {}) as Fields;
  const others = Object.fromEntries(Object.entries(fields).filter(([k]) => !FEATURE_KEYS.includes(k)));
  const [address, setAddress] = useState<Record<string, string>>(
    Object.fromEntries(E911_FIELDS.map((f) => [f.key, text(e911[f.key])])),
  );
  const [displayName, setDisplayName] = useState(text(cnam.display_name));
  const [inboundLookup, setInboundLookup] = useState(Boolean(cnam.inbound_lookup));
  const [othersText, setOthersText] = useState(JSON.stringify(others, null, 2));
  const [errors, setErrors] = useState<UserError[]>([]);
  const [saved, setSaved] = useState(justSaved);
  const [{ fetching }, update] = useMutation(UpdateNumberMutation);
  const touched = () => setSaved(false);

  const fieldError = (...path: string[]) =>
    errors.find((e) => e.field && path.every((p, i) => e.field![i + 1] === p) && e.field.length === path.length + 1)?.message;
  const conflict = errors.some((e) => e.code === "CONFLICT");
  const general = errors.filter((e) => e.code !== "CONFLICT" && !(e.field && e.field.length > 2 && FEATURE_KEYS.includes(e.field[1])) && !(e.field?.[1] === "other"));

  async function save(event: FormEvent) {
    event.preventDefault();
    let extra: Fields;
    try {
      extra = othersText.trim() ? JSON.parse(othersText) : {};
      if (typeof extra !== "object" || extra === null || Array.isArray(extra)) throw new Error();
    } catch {
      return setErrors([{ code: "INVALID_FIELD", message: "Other fields must be a JSON object.", field: ["publicFields", "other"] }]);
    }
    // A merge patch of what changed only: an unchanged feature is not sent (it may be locked in this state).
    const nextE911 = Object.fromEntries(Object.entries(address).filter(([, v]) => v.trim()).map(([k, v]) => [k, v.trim()]));
    const nextCnam = displayName.trim() || inboundLookup ? { display_name: displayName.trim(), inbound_lookup: inboundLookup } : {};
    const patch: Fields = {};
    const differs = (a: unknown, b: unknown) => JSON.stringify(a) !== JSON.stringify(b);
    const { e911: _e, cnam: _c, ...otherFields } = fields;
    const pick = (value: Fields) => (Object.keys(value).length ? value : null);
    if (differs(pick(nextE911), pick(e911))) patch.e911 = pick(nextE911);
    if (differs(pick(nextCnam), pick(cnam))) patch.cnam = pick(nextCnam);
    for (const key of new Set([...Object.keys(otherFields), ...Object.keys(extra)])) {
      if (differs(extra[key], otherFields[key])) patch[key] = key in extra ? extra[key] : null;
    }
    if (Object.keys(patch).length === 0) return setErrors([]);
    const result = await update({ input: { number: { number: e164, expectedRevision: revision }, publicFields: patch } });
    const userErrors = result.data?.updateNumber.userErrors ?? [];
    if (result.error) setErrors([{ code: "ERROR", message: result.error.message }]);
    else setErrors(userErrors);
    const updated = result.data?.updateNumber.number;
    if (!result.error && userErrors.length === 0 && updated) {
      setSaved(true);
      onSaved(updated.revision);
      onReload();
    }
  }

  const inputProps = (id: string, message: string | undefined) => ({
    id, "aria-invalid": message ? true : undefined, "aria-describedby": message ? `${id}-error` : undefined,
  });
  const errorLine = (id: string, message: string | undefined) =>
    message && <p id={`${id}-error`} className="field-error" role="alert">{message}</p>;

  return (
    <form className="card editor" onSubmit={save} aria-labelledby="fields-title">
      <h2 id="fields-title">Settings</h2>
      {conflict && (
        <div className="conflict" role="alert" data-testid="conflict">
          <p><strong>Changed by someone else.</strong> This number was changed after you opened it, so your edits
            were not saved. Reload to see the latest version, then make your edits again.</p>
          <button type="button" className="primary" onClick={onReload}>Reload</button>
        </div>
      )}
      {general.map((e, i) => <p key={i} className="field-error" role="alert">{e.code}: {e.message}</p>)}
      {saved && <p className="saved" role="status">Saved.</p>}
      <div className="editor-grid">
        <fieldset>
          <legend>E911 address</legend>
          {E911_FIELDS.map((f) => {
            const id = `e911-${f.key}`;
            const message = fieldError("e911", f.key);
            return (
              <div className="field" key={f.key}>
                <label htmlFor={id}>{f.label}{f.required && <span aria-hidden="true"> *</span>}</label>
                <input {...inputProps(id, message)} value={address[f.key]} placeholder={f.hint}
                  onChange={(e) => { touched(); setAddress((a) => ({ ...a, [f.key]: e.target.value })); }} />
                {errorLine(id, message)}
              </div>
            );
          })}
          {errorLine("e911", fieldError("e911"))}
        </fieldset>
        <div>
          <fieldset>
            <legend>Caller ID name (CNAM)</legend>
            <div className="field">
              <label htmlFor="cnam-display_name">Display name</label>
              <input {...inputProps("cnam-display_name", fieldError("cnam", "display_name"))} value={displayName}
                maxLength={40} onChange={(e) => { touched(); setDisplayName(e.target.value); }} />
              {errorLine("cnam-display_name", fieldError("cnam", "display_name"))}
            </div>
            <div className="field checkbox">
              <input id="cnam-inbound" type="checkbox" checked={inboundLookup} onChange={(e) => { touched(); setInboundLookup(e.target.checked); }} />
              <label htmlFor="cnam-inbound">Look up caller names on inbound calls</label>
            </div>
            {errorLine("cnam", fieldError("cnam"))}
          </fieldset>
          <fieldset>
            <legend>Other public fields</legend>
            <div className="field">
              <label htmlFor="public-other">JSON object</label>
              <textarea {...inputProps("public-other", errors.find((e) => e.field?.[1] === "other" || (e.field && e.field.length === 2 && !FEATURE_KEYS.includes(e.field[1])))?.message)}
                rows={6} className="mono" value={othersText} onChange={(e) => { touched(); setOthersText(e.target.value); }} />
              {errorLine("public-other", errors.find((e) => e.field?.[1] === "other" || (e.field && e.field.length === 2 && !FEATURE_KEYS.includes(e.field[1])))?.message)}
            </div>
          </fieldset>
        </div>
      </div>
      <div className="form-actions">
        <button type="submit" className="primary" disabled={fetching}>{fetching ? "Saving…" : "Save settings"}</button>
        <span className="muted small">Sent with revision <span className="mono">{revision}</span>.</span>
      </div>
    </form>
  );
}
