import type { Client } from "urql";
import {
  ActivateMutation, CancelPortInMutation, DeleteMutation, PortInMutation, ReleaseMutation, ReserveMutation,
  ReturnMutation,
} from "./api/documents";
import type { NumberRowFragment } from "./gql/graphql";

export type ActionId = "reserve" | "activate" | "release" | "portIn" | "cancelPortIn" | "return" | "delete";

export interface Action {
  id: ActionId;
  label: string;
  /** Asked for confirmation first: these give numbers up or remove them. */
  destructive: boolean;
  adminOnly: boolean;
}

export const ACTIONS: Action[] = [
  { id: "reserve", label: "Reserve", destructive: false, adminOnly: false },
  { id: "activate", label: "Activate", destructive: false, adminOnly: false },
  { id: "release", label: "Release", destructive: true, adminOnly: false },
  { id: "portIn", label: "Port in", destructive: false, adminOnly: false },
  { id: "cancelPortIn", label: "Cancel port", destructive: true, adminOnly: false },
  { id: "return", label: "Return", destructive: true, adminOnly: true },
  { id: "delete", label: "Delete", destructive: true, adminOnly: true },
];

export interface Outcome {
  e164: string;
  ok: boolean;
  message: string;
  number?: NumberRowFragment;
}

interface Payload {
  numbers: NumberRowFragment[];
  userErrors: { code: string; message: string; number?: string | null }[];
}

/** Runs an action on some numbers and tells, per number, what happened. */
export async function runAction(
  client: Client, action: ActionId, numbers: string[], accountId: string | null,
): Promise<Outcome[]> {
  const refs = numbers.map((number) => ({ number }));
  const acquire = { numbers: refs, accountId };
  let payload: Payload | undefined;
  let failure: string | undefined;
  const collect = (result: { data?: unknown; error?: { message: string } }, pick: (data: never) => Payload) => {
    if (result.data) payload = pick(result.data as never);
    failure = result.error?.message;
  };
  switch (action) {
    case "reserve":
      collect(await client.mutation(ReserveMutation, { input: acquire }).toPromise(), (d: { reserveNumbers: Payload }) => d.reserveNumbers);
      break;
    case "activate":
      collect(await client.mutation(ActivateMutation, { input: acquire }).toPromise(), (d: { activateNumbers: Payload }) => d.activateNumbers);
      break;
    case "release":
      collect(await client.mutation(ReleaseMutation, { input: { numbers: refs } }).toPromise(), (d: { releaseNumbers: Payload }) => d.releaseNumbers);
      break;
    case "portIn":
      collect(await client.mutation(PortInMutation, { input: acquire }).toPromise(), (d: { portInNumbers: Payload }) => d.portInNumbers);
      break;
    case "cancelPortIn":
      collect(await client.mutation(CancelPortInMutation, { input: { numbers: refs } }).toPromise(), (d: { cancelPortIn: Payload }) => d.cancelPortIn);
      break;
    case "return":
      collect(await client.mutation(ReturnMutation, { input: { numbers: refs } }).toPromise(), (d: { returnNumbers: Payload }) => d.returnNumbers);
      break;
    case "delete":
      collect(await client.mutation(DeleteMutation, { input: { numbers: refs } }).toPromise(), (d: { deleteNumbers: Payload }) => d.deleteNumbers);
      break;
  }
  return outcomes(numbers, payload, failure);
}

export function outcomes(numbers: string[], payload: Payload | undefined, failure?: string): Outcome[] {
  if (!payload) return numbers.map((e164) => ({ e164, ok: false, message: failure ?? "The request failed." }));
  const done = new Map(payload.numbers.map((n) => [n.e164, n]));
  const general = payload.userErrors.filter((e) => !e.number);
  return numbers.map((e164) => {
    const number = done.get(e164);
    if (number) return { e164, ok: true, message: `now ${stateLabel(number.state)}`, number };
    const error = payload.userErrors.find((e) => e.number === e164) ?? general[0];
    return { e164, ok: false, message: error ? `${error.code}: ${error.message}` : "not changed" };
  });
}

export function stateLabel(state: string): string {
  return state.toLowerCase().replace(/_/g, " ");
}
