import { createClient as createWsClient, type Client as WsClient } from "graphql-ws";
import { Client, cacheExchange, fetchExchange, mapExchange, subscriptionExchange, type CombinedError } from "urql";

export type Connection = "connecting" | "live" | "offline";

export interface ApiEvents {
  /** The key was refused (401): unknown, revoked, or the account is gone. */
  onUnauthenticated(): void;
  /** Whether the store answered: false on STORE_UNAVAILABLE, true again on the next good answer. */
  onStore(available: boolean): void;
  onConnection(state: Connection): void;
  /** The subscription socket came back after a drop: time to catch up on missed changes. */
  onReconnected(): void;
}

export function errorCode(error: CombinedError | undefined): string | undefined {
  if (!error) return undefined;
  const fromGraphQL = error.graphQLErrors.find((e) => e.extensions?.code)?.extensions?.code;
  if (typeof fromGraphQL === "string") return fromGraphQL;
  const status = error.response?.status;
  if (status === 401) return "UNAUTHENTICATED";
  if (status === 503) return "STORE_UNAVAILABLE";
  return undefined;
}

function apiUrl(): string {
  return new URL("/graphql", window.location.href).href;
}

/** One urql client per signed-in key: queries and mutations over HTTP, subscriptions over graphql-ws. */
export function createApiClient(key: string, events: ApiEvents): { client: Client; ws: WsClient } {
  let dropped = false;
  const ws = createWsClient({
    url: apiUrl().replace(/^http/, "ws"),
    connectionParams: { authorization: `Bearer ${key}` },
    // Connected for the whole session, so the live indicator means something on every page; a console
    // stays open for hours: keep trying, quickly at first, and notice a silent peer.
    lazy: false,
    retryAttempts: Number.POSITIVE_INFINITY,
    shouldRetry: () => true,
    retryWait: (retries) => new Promise((resolve) => setTimeout(resolve, Math.min(250 * 2 ** retries, 3000))),
    keepAlive: 10_000,
    on: {
      connecting: () => events.onConnection(dropped ? "offline" : "connecting"),
      connected: () => {
        events.onConnection("live");
        if (dropped) events.onReconnected();
        dropped = false;
      },
      closed: (event) => {
        dropped = true;
        events.onConnection("offline");
        // 4403: the server refused connection_init, the key no longer works.
        if ((event as CloseEvent | undefined)?.code === 4403) events.onUnauthenticated();
      },
    },
  });
  const client = new Client({
    url: apiUrl(),
    requestPolicy: "cache-and-network",
    preferGetMethod: false, // POST like every client of this API: no query text in URLs and access logs
    fetchOptions: () => ({ headers: { authorization: `Bearer ${key}` } }),
    exchanges: [
      mapExchange({
        onResult(result) {
          const code = errorCode(result.error);
          if (code === "UNAUTHENTICATED") events.onUnauthenticated();
          else if (code === "STORE_UNAVAILABLE") events.onStore(false);
          else if (!result.error?.networkError) events.onStore(true);
          return result;
        },
      }),
      cacheExchange,
      fetchExchange,
      subscriptionExchange({
        forwardSubscription(request) {
          const input = { ...request, query: request.query || "" };
          return {
            subscribe(sink) {
              const unsubscribe = ws.subscribe(input, sink);
              return { unsubscribe };
            },
          };
        },
      }),
    ],
  });
  return { client, ws };
}
