"""A page on another origin (a partner portal) may query and subscribe only when its origin is allowed."""

from __future__ import annotations

from typing import Any

from playwright.async_api import Page, Route

from tests.e2e.conftest import Numplane

# Runs in the portal page: one query over fetch, one subscription over graphql-transport-ws, no library.
PORTAL_SCRIPT = """async ({ api, key, trigger }) => {
  const result = {};
  try {
    const response = await fetch(api + "/graphql", {
      method: "POST",
      headers: { "content-type": "application/json", authorization: "Bearer " + key },
      body: JSON.stringify({ query: "{ me { name } }" }),
    });
    result.query = (await response.json()).data.me.name;
  } catch (error) {
    result.query = "blocked";
  }
  result.subscription = await new Promise((resolve) => {
    const socket = new WebSocket(api.replace("http", "ws") + "/graphql", "graphql-transport-ws");
    const send = (message) => socket.send(JSON.stringify(message));
    socket.onopen = () => send({ type: "connection_init", payload: { authorization: "Bearer " + key } });
    socket.onmessage = async (event) => {
      const message = JSON.parse(event.data);
      if (message.type === "connection_ack") {
        send({ id: "1", type: "subscribe", payload: { query: "subscription { numberChanged { e164 } }" } });
        // The subscription is registered once the server has read it; ask for a change until one arrives.
        const ask = () => fetch(trigger).catch(() => {});
        ask();
        socket.interval = setInterval(ask, 500);
      } else if (message.type === "next") {
        clearInterval(socket.interval);
        resolve(message.payload.data.numberChanged.e164);
        socket.close();
      }
    };
    socket.onerror = () => resolve("refused");
    socket.onclose = () => resolve("closed");
  });
  return result;
}"""


async def run_portal(page: Page, portal_url: str, numplane: Numplane, trigger: str) -> dict[str, Any]:
    await page.goto(portal_url)
    result: dict[str, Any] = await page.evaluate(
        PORTAL_SCRIPT, {"api": numplane.url, "key": numplane.admin_key, "trigger": trigger},
    )
    return result


async def test_allowed_origin_can_query_and_subscribe(page: Page, numplane: Numplane) -> None:
    numplane.add(["+13125550100"], "AVAILABLE")
    changes: list[str] = []

    async def make_change(route: Route) -> None:
        # Each poll of the trigger URL changes the number once, so the open subscription sees an event.
        state = "RESERVED" if len(changes) % 2 == 0 else "AVAILABLE"
        mutation = "reserveNumbers" if state == "RESERVED" else "releaseNumbers"
        number = '{numbers: [{number: "+13125550100"}]}'
        numplane.call(f"mutation {{ {mutation}(input: {number}) {{ __typename }} }}")
        changes.append(state)
        await route.fulfill(status=204)

    await page.route("**/trigger-change", make_change)
    result = await run_portal(page, numplane.static_origin + "/", numplane, numplane.static_origin + "/trigger-change")
    assert result["query"] == numplane.call("{ me { name } }")["me"]["name"]
    assert result["subscription"] == "+13125550100"


async def test_other_origin_is_blocked_by_the_browser(page: Page, numplane: Numplane) -> None:
    # Same page server, but "localhost" is another origin than the allowed "127.0.0.1".
    other = numplane.static_origin.replace("127.0.0.1", "localhost")
    result = await run_portal(page, other + "/", numplane, other + "/nothing")
    assert result["query"] == "blocked"
    assert result["subscription"] in ("refused", "closed")  # the handshake is refused: no event ever arrives
