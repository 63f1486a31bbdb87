"""The console in a real browser, as an operator and a reseller use it, on both stores."""

from __future__ import annotations

import json
import re

from playwright.async_api import Browser, Locator, Page, Route, expect

from tests.e2e.conftest import SCREENSHOTS, Numplane, crash, live, screenshot, sign_in

PAGED = "+1415555"  # 120 numbers: 10 reserved, 110 in service, all Reseller's


def e164s(prefix: str, count: int, start: int = 0) -> list[str]:
    return [f"{prefix}{i:04d}" for i in range(start, start + count)]


async def filter_prefix(page: Page, prefix: str) -> None:
    await page.get_by_label("Prefix").fill(prefix)
    await page.get_by_role("button", name="Apply").click()


def rows(page: Page) -> Locator:
    return page.locator("table.numbers tbody tr")


def row(page: Page, e164: str) -> Locator:
    return page.locator(f'table.numbers tbody tr[data-e164="{e164}"]')


async def test_sign_in_shows_who_i_am_and_the_account_tree(page: Page, numplane: Numplane) -> None:
    await page.goto(numplane.url + "/")
    await screenshot(page, "sign-in", numplane)
    await sign_in(page, numplane)
    await expect(page.get_by_test_id("whoami")).to_contain_text("admin")
    tree = page.get_by_role("complementary", name="Accounts")
    await expect(tree.get_by_role("button", name="Reseller", exact=True)).to_be_visible()
    await tree.get_by_role("button", name="Show sub-accounts of Reseller").click()
    await expect(tree.get_by_role("button", name="Customer", exact=True)).to_be_visible()
    assert "apiKey" not in page.url and not await page.evaluate("Object.keys(localStorage).length")
    await page.get_by_role("button", name="Sign out").click()
    await expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    assert await page.evaluate("sessionStorage.length") == 0


async def test_numbers_are_listed_filtered_and_paged_fifty_at_a_time(page: Page, numplane: Numplane) -> None:
    numplane.add(e164s(PAGED, 10), "RESERVED", "Reseller")
    numplane.add(e164s(PAGED, 110, start=10), "IN_SERVICE", "Reseller")
    await sign_in(page, numplane)
    await page.get_by_role("complementary", name="Accounts").get_by_role("button", name="Reseller", exact=True).click()
    await filter_prefix(page, PAGED)
    await expect(rows(page)).to_have_count(50)
    await expect(rows(page).first).to_have_attribute("data-e164", f"{PAGED}0000")
    await screenshot(page, "numbers", numplane)
    render = await page.evaluate(
        "performance.getEntriesByName('numbers:render').map(e => e.duration)"
    )
    if numplane.store == "sqlite":
        (SCREENSHOTS / "render-ms.json").write_text(json.dumps(render))
    next_page = page.get_by_role("button", name="Next →")
    await next_page.click()
    await expect(rows(page).first).to_have_attribute("data-e164", f"{PAGED}0050")
    await expect(rows(page)).to_have_count(50)
    await next_page.click()
    await expect(rows(page)).to_have_count(20)
    await expect(rows(page).last).to_have_attribute("data-e164", f"{PAGED}0119")
    await expect(next_page).to_be_disabled()
    await page.get_by_role("button", name="← Previous").click()
    await expect(rows(page).first).to_have_attribute("data-e164", f"{PAGED}0050")

    await page.get_by_label("State").select_option("RESERVED")
    await expect(rows(page)).to_have_count(10)
    await expect(page.get_by_test_id("page-number")).to_have_text("Page 1")
    await filter_prefix(page, "+1999")
    await expect(page.get_by_test_id("numbers-empty")).to_be_visible()


async def test_activating_a_number_changes_its_state_in_the_table(page: Page, numplane: Numplane) -> None:
    numplane.add(["+12125550100", "+12125550101"], "AVAILABLE")
    await sign_in(page, numplane)
    await filter_prefix(page, "+121255501")
    await expect(rows(page)).to_have_count(2)
    await page.get_by_label("Select +12125550100").check()
    await page.get_by_role("button", name="Activate").click()
    await expect(page.get_by_test_id("action-result")).to_contain_text("now in service")
    await expect(row(page, "+12125550100").get_by_test_id("state")).to_have_text("in service")
    await expect(row(page, "+12125550101").get_by_test_id("state")).to_have_text("available")


async def test_a_change_by_another_client_appears_in_the_open_table(page: Page, numplane: Numplane) -> None:
    await sign_in(page, numplane)
    await filter_prefix(page, "+1303555")
    await expect(page.get_by_test_id("numbers-empty")).to_be_visible()
    await live(page)
    # The subscription is registered once a first change arrives; only then does the 2 s promise apply.
    numplane.add(["+13035550000"], "AVAILABLE")
    await expect(row(page, "+13035550000")).to_be_visible()
    numplane.add(["+13035550001"], "IN_SERVICE", "Customer")
    await expect(row(page, "+13035550001")).to_be_visible(timeout=2000)
    numplane.call('mutation { deleteNumbers(input: {numbers: [{number: "+13035550000"}]}) { userErrors { code } } }')
    await expect(row(page, "+13035550000")).to_have_count(0, timeout=2000)


async def test_changes_missed_while_the_server_was_down_arrive_after_it_is_back(
    page: Page, numplane: Numplane,
) -> None:
    numplane.add(["+17205550000"], "AVAILABLE")
    await sign_in(page, numplane)
    await filter_prefix(page, "+1720555")
    await expect(row(page, "+17205550000")).to_be_visible()
    await live(page)
    numplane.add(["+17205550001"], "AVAILABLE")
    await expect(row(page, "+17205550001")).to_be_visible()  # the subscription is in place

    crash(numplane.server)
    await expect(page.get_by_test_id("live-indicator")).to_have_text("Offline")
    # Another numplane on the same store changes numbers while the console's server is away.
    other = type(numplane.server)(numplane.server.env["NUMPLANE_STORE"], extra_env=numplane.server.env)
    other.start()
    try:
        missed = Numplane(other, numplane.store, numplane.admin_key, numplane.static_origin, numplane.accounts)
        missed.add(["+17205550002"], "AVAILABLE")
        missed.call('mutation { activateNumbers(input: {numbers: [{number: "+17205550000"}]}) { __typename } }')
    finally:
        other.stop()
    numplane.server.start()

    await live(page)
    await expect(row(page, "+17205550002")).to_be_visible()
    await expect(row(page, "+17205550000").get_by_test_id("state")).to_have_text("in service")


async def test_e911_edit_shows_the_field_error_then_saves(page: Page, numplane: Numplane) -> None:
    numplane.add(["+16175550100"], "IN_SERVICE", "Reseller")
    await sign_in(page, numplane)
    await page.goto(numplane.url + "/#/number/%2B16175550100")
    revision = await page.get_by_test_id("revision").inner_text()
    await page.get_by_label("Street address").fill("1 Main St")
    await page.get_by_label("City").fill("Boston")
    await page.get_by_label("State / region").fill("Massachusetts")
    await page.get_by_label("Postal code").fill("02108")
    await page.get_by_role("button", name="Save settings").click()
    region_error = page.locator("#e911-region-error")
    await expect(region_error).to_be_visible()
    await expect(page.get_by_label("State / region")).to_have_attribute("aria-invalid", "true")
    await screenshot(page, "number-detail", numplane, full_page=True)
    await page.get_by_label("State / region").fill("MA")
    await page.get_by_role("button", name="Save settings").click()
    await expect(page.get_by_role("status").filter(has_text="Saved.")).to_be_visible()
    await expect(page.get_by_test_id("revision")).not_to_have_text(revision)
    await expect(page.get_by_label("State / region")).to_have_value("MA")
    await expect(region_error).to_have_count(0)
    saved = numplane.call('{ number(number: "+16175550100") { publicFields } }')
    assert saved["number"]["publicFields"]["e911"]["region"] == "MA"


async def test_an_edit_over_someone_elses_change_is_a_conflict_with_a_reload(page: Page, numplane: Numplane) -> None:
    numplane.add(["+16175550101"], "IN_SERVICE", "Reseller")
    await sign_in(page, numplane)
    await page.goto(numplane.url + "/#/number/%2B16175550101")
    await expect(page.get_by_label("Display name")).to_be_visible()
    numplane.call(
        'mutation { updateNumber(input: {number: {number: "+16175550101"}, publicFields: {note: "from the API"}}) '
        "{ userErrors { code } } }"
    )
    await page.get_by_label("Display name").fill("ACME")
    await page.get_by_role("button", name="Save settings").click()
    conflict = page.get_by_test_id("conflict")
    await expect(conflict).to_contain_text("Changed by someone else")
    await conflict.get_by_role("button", name="Reload").click()
    await expect(conflict).to_have_count(0)
    await expect(page.get_by_label("JSON object")).to_contain_text("from the API")
    await page.get_by_label("Display name").fill("ACME")
    await page.get_by_role("button", name="Save settings").click()
    await expect(page.get_by_role("status").filter(has_text="Saved.")).to_be_visible()


async def test_a_revoked_key_returns_to_sign_in(page: Page, numplane: Numplane) -> None:
    key, key_id = numplane.create_key("Reseller")
    await sign_in(page, numplane, key)
    await expect(page.get_by_test_id("whoami")).to_have_text("Reseller")
    numplane.call("mutation($k: String!) { revokeApiKey(keyId: $k) { userErrors { code } } }", {"k": key_id})
    await filter_prefix(page, "+1415")
    await expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    await expect(page.get_by_role("status")).to_contain_text("no longer accepted")
    assert await page.evaluate("sessionStorage.length") == 0


async def test_admin_creates_a_sub_account_and_a_key_shown_once(page: Page, numplane: Numplane) -> None:
    await sign_in(page, numplane)
    await page.get_by_role("link", name="Admin").click()
    await page.get_by_label("Name").fill("Branch 7")
    await page.get_by_role("button", name="Create account").click()
    await expect(page.get_by_role("status").filter(has_text="Created Branch 7")).to_be_visible()
    await page.get_by_role("button", name="Create key").click()
    new_key = page.get_by_test_id("new-key")
    await expect(new_key).to_have_value(re.compile(r"^np_"))
    await screenshot(page, "admin", numplane)
    key = await new_key.input_value()
    root = numplane.call("{ me { name } }")["me"]["name"]
    assert numplane.call("{ me { name } }", key=key)["me"]["name"] == root
    await page.reload()
    tree = page.get_by_role("complementary", name="Accounts")
    await expect(tree.get_by_role("button", name="Branch 7", exact=True)).to_be_visible()


async def test_an_out_of_range_config_value_shows_its_error_beside_its_input(page: Page, numplane: Numplane) -> None:
    await sign_in(page, numplane)
    await page.get_by_role("link", name="Admin").click()
    limit = page.get_by_label("Max numbers per request")
    await limit.fill("20000")
    await page.get_by_role("button", name="Save configuration").click()
    # The userError's field is ["maxBatch"], the name of the input the form sent.
    await expect(limit).to_have_attribute("aria-invalid", "true")
    await expect(limit.locator("xpath=following-sibling::p[@class='field-error']")).to_contain_text("10000")
    assert numplane.call("{ systemConfig { maxBatch } }")["systemConfig"]["maxBatch"] != 20000


async def test_buying_numbers_shows_each_result(page: Page, numplane: Numplane) -> None:
    await sign_in(page, numplane)
    # exact: while the list is still empty, it links "buy numbers" too
    await page.get_by_role("link", name="Buy numbers", exact=True).click()
    await page.get_by_label("Prefix").fill("+1888")
    await page.get_by_role("button", name="Search").click()
    found = page.get_by_role("list", name="Numbers found").get_by_role("checkbox")
    await expect(found.first).to_be_visible()
    await found.first.check()
    await page.get_by_role("button", name="Activate 1 number").click()
    await expect(page.get_by_test_id("action-result")).to_contain_text("CARRIER_FAILURE")


async def test_the_console_fits_a_phone(browser: Browser, numplane: Numplane) -> None:
    numplane.add(["+15125550100"], "IN_SERVICE", "Customer")
    context = await browser.new_context(viewport={"width": 390, "height": 844})
    phone = await context.new_page()
    try:
        await sign_in(phone, numplane)
        await expect(phone.get_by_role("button", name="Accounts")).to_be_visible()
        await filter_prefix(phone, "+1512555")
        await expect(rows(phone).first).to_be_visible()
        width = await phone.evaluate("document.documentElement.scrollWidth")
        assert width <= 390
        await screenshot(phone, "numbers-phone", numplane)
    finally:
        await context.close()


async def test_store_unavailable_is_a_banner_that_clears_when_the_store_is_back(page: Page, numplane: Numplane) -> None:
    await sign_in(page, numplane)
    outage = {"errors": [{"message": "The database cannot be reached; retry shortly.",
                          "extensions": {"code": "STORE_UNAVAILABLE"}}]}
    # The API's answer during an outage (tests/test_store_outage.py makes a real one), here on demand.

    async def store_down(route: Route) -> None:
        await route.fulfill(status=503, json=outage)

    # The first page of the list must be in before the filter is typed: a list still mounting would drop it,
    # and an unchanged filter sends no request for the outage to answer.
    await expect(page.locator("table.numbers tbody tr, [data-testid=numbers-empty]").first).to_be_visible()
    await page.route("**/graphql", store_down)
    await filter_prefix(page, "+1999555")
    banner = page.get_by_test_id("store-banner")
    await expect(banner).to_be_visible()
    await page.unroute("**/graphql")
    await expect(banner).to_have_count(0)
