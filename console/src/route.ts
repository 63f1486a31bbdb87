import { useEffect, useState } from "react";

// Hash routes keep every page a static file for numplane to serve (#/numbers, #/number/+1415…, #/buy, #/admin).
export type Route =
  | { page: "numbers" }
  | { page: "number"; e164: string }
  | { page: "buy" }
  | { page: "admin" };

export function parseRoute(hash: string): Route {
  const [, page, arg] = hash.replace(/^#/, "").split("/");
  if (page === "number" && arg) return { page: "number", e164: decodeURIComponent(arg) };
  if (page === "buy") return { page: "buy" };
  if (page === "admin") return { page: "admin" };
  return { page: "numbers" };
}

export function href(route: Route): string {
  return route.page === "number" ? `#/number/${encodeURIComponent(route.e164)}` : `#/${route.page}`;
}

export function useRoute(): Route {
  const [hash, setHash] = useState(window.location.hash);
  useEffect(() => {
    const onChange = () => setHash(window.location.hash);
    window.addEventListener("hashchange", onChange);
    return () => window.removeEventListener("hashchange", onChange);
  }, []);
  return parseRoute(hash);
}
