// Apollo Client's persisted-query link against a served numplane: node apollo_persisted.mjs URL KEY BAD_KEY
// Prints one JSON object: what the operations returned, every request the client sent (method, whether it
// carried the query text, its persistedQuery extension) with the status and error codes it got back, and
// how a 401 reaches the application.
import { ApolloClient, HttpLink, InMemoryCache, gql } from "@apollo/client";
import { ServerError } from "@apollo/client/errors";
import { PersistedQueryLink } from "@apollo/client/link/persisted-queries";
import { createHash } from "node:crypto";

const [url, key, badKey] = process.argv.slice(2);
const requests = [];

async function recordingFetch(input, init = {}) {
  const target = new URL(typeof input === "string" ? input : input.url);
  const method = init.method ?? "GET";
  const sent = method === "GET"
    ? { query: target.searchParams.get("query"), extensions: JSON.parse(target.searchParams.get("extensions") ?? "null") }
    : JSON.parse(init.body);
  const response = await fetch(input, init);
  const answer = await response.clone().json();
  requests.push({
    method,
    withQuery: typeof sent.query === "string" && sent.query.length > 0,
    persistedQuery: sent.extensions?.persistedQuery ?? null,
    status: response.status,
    codes: (answer.errors ?? []).map((e) => e.extensions?.code ?? null),
  });
  return response;
}

function client(apiKey) {
  const persisted = new PersistedQueryLink({
    sha256: (text) => createHash("sha256").update(text).digest("hex"),
    useGETForHashedQueries: true,
  });
  const http = new HttpLink({ uri: url, headers: { authorization: `Bearer ${apiKey}` }, fetch: recordingFetch });
  return new ApolloClient({ cache: new InMemoryCache(), link: persisted.concat(http) });
}

const ME = gql`query Me { me { name } }`;
const CREATE = gql`mutation Create($name: String!) { createAccount(input: { name: $name }) { account { name } userErrors { code } } }`;

const api = client(key);
const first = await api.query({ query: ME, fetchPolicy: "network-only" });
const again = await api.query({ query: ME, fetchPolicy: "network-only" });
const created = await api.mutate({ mutation: CREATE, variables: { name: "apq" } });
const createdAgain = await api.mutate({ mutation: CREATE, variables: { name: "apq2" } });

let unauthorized = null;
try {
  await client(badKey).query({ query: ME, fetchPolicy: "network-only" });
} catch (error) {
  unauthorized = {
    serverError: ServerError.is(error),
    statusCode: error.statusCode,
    codes: JSON.parse(error.bodyText).errors.map((e) => e.extensions.code),
  };
}

console.log(JSON.stringify({
  first: first.data,
  again: again.data,
  created: created.data,
  createdAgain: createdAgain.data,
  requests,
  unauthorized,
}));
