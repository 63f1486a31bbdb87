import { useState } from "react";
import { useQuery } from "urql";
import { ChildrenQuery } from "../api/documents";

export interface SelectedAccount {
  accountId: string;
  name: string;
}

interface Props {
  root: SelectedAccount;
  selected: SelectedAccount | null;
  onSelect(account: SelectedAccount | null): void;
}

/** The accounts this key can see: its own, and the children of each, loaded when expanded. */
export function AccountTree({ root, selected, onSelect }: Props) {
  return (
    <div className="tree">
      <h2 className="tree-title">Accounts</h2>
      <ul>
        <li>
          <div className="tree-row">
            <span className="twisty-space" aria-hidden="true" />
            <button
              type="button" className="tree-item" aria-current={selected === null ? "true" : undefined}
              onClick={() => onSelect(null)}
            >
              All visible numbers
            </button>
          </div>
        </li>
        <Node account={root} selected={selected} onSelect={onSelect} initiallyOpen />
      </ul>
    </div>
  );
}

function Node({ account, selected, onSelect, initiallyOpen = false }: {
  account: SelectedAccount; selected: SelectedAccount | null; onSelect(a: SelectedAccount): void; initiallyOpen?: boolean;
}) {
  const [open, setOpen] = useState(initiallyOpen);
  const isSelected = selected?.accountId === account.accountId;
  return (
    <li>
      <div className="tree-row">
        <button
          type="button" className="twisty" aria-expanded={open}
          aria-label={`${open ? "Hide" : "Show"} sub-accounts of ${account.name}`}
          onClick={() => setOpen((o) => !o)}
        >
          {open ? "▾" : "▸"}
        </button>
        <button
          type="button" className="tree-item" aria-current={isSelected ? "true" : undefined}
          onClick={() => onSelect(account)}
        >
          {account.name}
        </button>
      </div>
      {open && <Children parent={account} selected={selected} onSelect={onSelect} />}
    </li>
  );
}

function Children({ parent, selected, onSelect }: {
  parent: SelectedAccount; selected: SelectedAccount | null; onSelect(a: SelectedAccount): void;
}) {
  const [{ data, fetching, error }] = useQuery({ query: ChildrenQuery, variables: { accountId: parent.accountId } });
  const edges = data?.account?.children.edges ?? [];
  if (fetching && !data) return <p className="tree-note" aria-busy="true">Loading…</p>;
  if (error) return <p className="tree-note field-error">Could not load sub-accounts.</p>;
  if (edges.length === 0) return <p className="tree-note muted">No sub-accounts</p>;
  return (
    <ul>
      {edges.map(({ node }) => (
        <Node key={node.accountId} account={{ accountId: node.accountId, name: node.name }} selected={selected} onSelect={onSelect} />
      ))}
    </ul>
  );
}
