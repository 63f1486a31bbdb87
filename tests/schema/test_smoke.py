from tests.support.api import Api


async def test_me_is_the_keys_account(api: Api) -> None:
    data = await api.data("{ me { accountId name isAdmin } }", key="reseller")
    assert data["me"] == {"accountId": api.id("R"), "name": "R", "isAdmin": False}
