import { describe, expect, it } from "vitest";
import type { NumberRowFragment } from "../gql/graphql";
import { applyChange, matches, type Scope } from "./rows";

function row(e164: string, overrides: Partial<NumberRowFragment> = {}): NumberRowFragment {
  return {
    id: e164, e164, state: "IN_SERVICE", carrier: "local", revision: "1", features: [],
    modifiedAt: "2026-01-01T00:00:00Z", stateChangedAt: "2026-01-01T00:00:00Z",
    account: { id: "a", accountId: "reseller", name: "R", ancestors: [{ accountId: "root" }] },
    ...overrides,
  };
}

const all: Scope = { accountId: null, includeDescendants: true, states: [], prefix: "", carrier: "" };
const whole = { first: true, last: true };

describe("matches", () => {
  it("keeps numbers owned below the selected account only with descendants", () => {
    const scope: Scope = { ...all, accountId: "root" };
    expect(matches(row("+1"), scope)).toBe(true);
    expect(matches(row("+1"), { ...scope, includeDescendants: false })).toBe(false);
  });

  it("applies state, prefix and carrier filters", () => {
    expect(matches(row("+14155550100"), { ...all, states: ["RESERVED"] })).toBe(false);
    expect(matches(row("+14155550100"), { ...all, prefix: "+1415" })).toBe(true);
    expect(matches(row("+14155550100"), { ...all, prefix: "+1212" })).toBe(false);
    expect(matches(row("+14155550100"), { ...all, carrier: "simulated" })).toBe(false);
  });

  it("never lists an unowned number under an account", () => {
    expect(matches(row("+1", { account: null }), { ...all, accountId: "root" })).toBe(false);
  });
});

describe("applyChange", () => {
  const page = [row("+12"), row("+14"), row("+16")];

  it("updates a row in place", () => {
    const next = applyChange(page, { cursor: "c", e164: "+14", deleted: false, number: row("+14", { state: "RESERVED" }) }, all, whole);
    expect(next.map((r) => r.state)).toEqual(["IN_SERVICE", "RESERVED", "IN_SERVICE"]);
  });

  it("removes a deleted number and one that no longer matches the filter", () => {
    expect(applyChange(page, { cursor: "c", e164: "+14", deleted: true }, all, whole).map((r) => r.e164)).toEqual(["+12", "+16"]);
    const released = row("+16", { state: "AGING" });
    const scope = { ...all, states: ["IN_SERVICE" as const] };
    expect(applyChange(page, { cursor: "c", e164: "+16", deleted: false, number: released }, scope, whole)).toHaveLength(2);
  });

  it("inserts a new matching number in order", () => {
    const next = applyChange(page, { cursor: "c", e164: "+13", deleted: false, number: row("+13") }, all, whole);
    expect(next.map((r) => r.e164)).toEqual(["+12", "+13", "+14", "+16"]);
  });

  it("leaves numbers that belong to another page out", () => {
    const later = { cursor: "c", e164: "+19", deleted: false, number: row("+19") };
    expect(applyChange(page, later, all, { first: true, last: false })).toHaveLength(3);
    const earlier = { cursor: "c", e164: "+11", deleted: false, number: row("+11") };
    expect(applyChange(page, earlier, all, { first: false, last: true })).toHaveLength(3);
    expect(applyChange(page, earlier, all, whole)).toHaveLength(4);
  });

  it("never goes back to an older version of a row", () => {
    const newer = [row("+14", { state: "RESERVED", modifiedAt: "2026-01-02T00:00:00Z" })];
    const older = { cursor: "c", e164: "+14", deleted: false, number: row("+14") };
    expect(applyChange(newer, older, all, whole)[0].state).toBe("RESERVED");
  });

  it("ignores a change to a number that is invisible now and was not shown", () => {
    expect(applyChange(page, { cursor: "c", e164: "+15", deleted: false, number: null }, all, whole)).toHaveLength(3);
  });
});
