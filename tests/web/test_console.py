"""The console at / and GraphiQL in debug mode, both from local built files."""

from __future__ import annotations

from pathlib import Path

import httpx
from asgi_lifespan import LifespanManager

from numplane.app import create_app
from tests.support.api import services_for, settings_for


def build_console(root: Path) -> None:
    (root / "dist" / "assets").mkdir(parents=True)
    (root / "dist" / "index.html").write_text('<html><script src="/assets/app-3f9a.js"></script>console</html>')
    (root / "dist" / "assets" / "app-3f9a.js").write_text("console.log('numbers')")
    (root / "ide-dist" / "assets").mkdir(parents=True)
    (root / "ide-dist" / "index.html").write_text('<html><script src="/graphiql/assets/ide-77.js"></script></html>')
    (root / "ide-dist" / "assets" / "ide-77.js").write_text("GraphiQL()")


async def get(store_url: tuple[str, str], root: Path, path: str, *, debug: bool = False,
              accept: str = "text/html") -> httpx.Response:
    app = create_app(services=services_for(settings_for(store_url, console_dir=str(root), debug=debug)))
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return await client.get(path, headers={"accept": accept})


async def test_built_console_is_served_at_root_and_revalidated(store_url: tuple[str, str], tmp_path: Path) -> None:
    build_console(tmp_path)
    response = await get(store_url, tmp_path, "/")
    assert response.status_code == 200 and "console" in response.text
    assert response.headers["cache-control"] == "no-cache"


async def test_hashed_assets_are_cached_for_a_year(store_url: tuple[str, str], tmp_path: Path) -> None:
    build_console(tmp_path)
    response = await get(store_url, tmp_path, "/assets/app-3f9a.js")
    assert response.text == "console.log('numbers')"
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"


async def test_without_a_build_root_says_how_to_build(store_url: tuple[str, str], tmp_path: Path) -> None:
    response = await get(store_url, tmp_path, "/")
    assert response.status_code == 200
    assert "make console" in response.text


async def test_graphiql_page_and_scripts_come_from_numplane_in_debug(
    store_url: tuple[str, str], tmp_path: Path
) -> None:
    build_console(tmp_path)
    page = await get(store_url, tmp_path, "/graphql", debug=True)
    assert '/graphiql/assets/ide-77.js' in page.text
    assert "http" not in page.text  # nothing from a CDN
    script = await get(store_url, tmp_path, "/graphiql/assets/ide-77.js", debug=True)
    assert script.text == "GraphiQL()"


async def test_graphiql_files_are_not_served_outside_debug(store_url: tuple[str, str], tmp_path: Path) -> None:
    build_console(tmp_path)
    page = await get(store_url, tmp_path, "/graphql")
    assert page.status_code == 401
    script = await get(store_url, tmp_path, "/graphiql/assets/ide-77.js")
    assert script.status_code == 404
