import { createGraphiQLFetcher } from "@graphiql/toolkit";
import { GraphiQL } from "graphiql";
import "graphiql/style.css";
import { createRoot } from "react-dom/client";

// The API key goes in the Headers tab: {"Authorization": "Bearer <key>"}; subscriptions send the same
// headers as the connection_init payload.
const url = new URL("/graphql", window.location.href);
const wsUrl = url.href.replace(/^http/, "ws");
const fetcher = createGraphiQLFetcher({ url: url.href, subscriptionUrl: wsUrl });

createRoot(document.getElementById("graphiql")!).render(
  <GraphiQL fetcher={fetcher} defaultHeaders={'{"Authorization": "Bearer <your key>"}'} />,
);
