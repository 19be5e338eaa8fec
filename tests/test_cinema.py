"""The offline cinema site, through real HTTP clients (requests and aiohttp)."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import textwrap
import time

import aiohttp
import pytest
import requests
from bs4 import BeautifulSoup

from conftest import run_in_kernel
from coursekit.cinema import CinemaSite, default_movies, generated_movies, sampled_movies
from coursekit.cinema import images, pages

BROWSER = {"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) CourseTest/1.0"}


@pytest.fixture
def site():
    with CinemaSite() as running:
        yield running


def get(url: str) -> requests.Response:
    return requests.get(url, headers=BROWSER, timeout=10)


def test_listing_has_the_structure_of_the_real_page(site):
    soup = BeautifulSoup(get(f"{site.url}/cinema/later/beijing/").content, "lxml")
    items = soup.select("div#showing-soon > div.item.mod")
    assert len(items) == 16
    assert [("odd" in item["class"]) for item in items[:4]] == [True, False, True, False]
    first = items[0]
    assert first.select_one("a.thumb > img")["src"].endswith(".png")
    link = first.select_one("div.intro > h3 > a")
    assert (link.text, link["href"]) == ("风再起时", f"{site.url}/subject/35204100/")
    assert [li.text for li in first.select("ul > li.dt")][:3] == ["02月05日", "剧情", "中国香港"]
    assert first.select_one("li.dt.last > span").text.endswith("人想看")
    # the article's own way of reading it still works
    assert (first.find_all("a")[1].text, first.find_all("li")[0].text) == ("风再起时", "02月05日")


def test_titles_and_dates_are_the_articles(site):
    soup = BeautifulSoup(get(f"{site.url}/cinema/later/beijing/").content, "lxml")
    titles = [a.text for a in soup.select("#showing-soon h3 a")]
    assert titles[:2] == ["风再起时", "黑豹2"] and titles[-1] == "伟大的胜利"
    assert [li.text for li in soup.select("#showing-soon li.dt:first-child")][-1] == "09月30日"


def test_detail_page_puts_a_decoy_image_before_the_poster(site):
    movie = site.movies[3]
    soup = BeautifulSoup(get(f"{site.url}/subject/{movie.id}/").content, "lxml")
    poster = soup.select_one("#mainpic img")["src"]
    assert poster == f"{site.url}/img/poster/{movie.id}.png"
    assert soup.find("img")["src"] != poster
    image = get(poster)
    assert image.headers["Content-Type"] == "image/png" and image.content.startswith(b"\x89PNG")


@pytest.mark.parametrize("agent", [None, "python-requests/2.32", "Python/3.11 aiohttp/3.10"])
def test_clients_that_are_not_browsers_get_418(site, agent):
    headers = {"User-Agent": agent} if agent else {}
    assert requests.get(f"{site.url}/cinema/later/beijing/", headers=headers, timeout=10).status_code == 418


def test_aiohttps_default_agent_gets_418(site):
    async def fetch():
        async with aiohttp.ClientSession() as session:
            async with session.get(f"{site.url}/cinema/later/beijing/") as response:
                return response.status

    assert asyncio.run(fetch()) == 418
    assert site.log.statuses() == {418: 1}


def test_unknown_pages_are_404(site):
    assert get(f"{site.url}/cinema/later/atlantis/").status_code == 404
    assert get(f"{site.url}/subject/1/").status_code == 404


def test_log_measures_requests_in_flight_and_connections():
    movies = default_movies()[:6]
    with CinemaSite(movies, latency=0.2) as site:
        async def crawl(limit):
            async with aiohttp.ClientSession(headers=BROWSER, connector=aiohttp.TCPConnector(limit=limit)) as session:
                async def fetch(movie):
                    async with session.get(f"{site.url}/subject/{movie.id}/") as response:
                        return response.status

                return await asyncio.gather(*(fetch(m) for m in movies))

        assert asyncio.run(crawl(limit=3)) == [200] * 6
        assert site.log.count("detail") == 6
        assert site.log.peak_in_flight("detail") == 3
        assert site.log.connections() == 3
        assert set(site.log.per_path("detail").values()) == {1}
        entry = site.log.of("detail")[0]
        assert entry.finished - entry.started >= 0.2


def test_page_latency_and_faults():
    movies = default_movies()[:3]
    slow, broken, hanging = (m.id for m in movies)
    with CinemaSite(movies, page_latency={slow: 0.3}, faults={broken: "500", hanging: "hang"}) as site:
        started = time.perf_counter()
        assert get(f"{site.url}/subject/{slow}/").status_code == 200
        assert time.perf_counter() - started >= 0.3
        assert get(f"{site.url}/subject/{broken}/").status_code == 500
        with pytest.raises(requests.Timeout):
            requests.get(f"{site.url}/subject/{hanging}/", headers=BROWSER, timeout=0.5)
        assert [row["poster"] for row in site.expected()] == [f"{site.url}/img/poster/{slow}.png", None, None]
    # stop() returned although a reply was still hanging


def test_faults_must_name_listed_movies():
    with pytest.raises(ValueError, match="faults"):
        CinemaSite(default_movies()[:2], faults={"12345": "500"})
    with pytest.raises(ValueError, match="faults"):
        CinemaSite(default_movies()[:2], faults={default_movies()[0].id: "slow"})


def test_sampled_movies_are_reproducible_and_disguised():
    a, b = sampled_movies(7), sampled_movies(7)
    assert a == b and sampled_movies(8) != a
    assert not {m.id for m in a} & {m.id for m in default_movies()}
    assert {m.title for m in a} <= {m.title for m in default_movies()}
    assert len(sampled_movies(3, count=5)) == 5


def test_generated_movies_scale():
    movies = generated_movies(1000)
    assert len({m.id for m in movies}) == 1000
    assert "测试电影 0001" in pages.listing_html(movies[:1], "http://x")


def test_timeline_of_the_log(site):
    get(f"{site.url}/subject/{site.movies[0].id}/")
    text = site.timeline("detail").text()
    assert f"detail /subject/{site.movies[0].id}/" in text and "200 at" in text


def test_images_are_valid_pngs():
    data = images.poster("123", small=True)
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and b"IHDR" in data and data.endswith(b"IEND\xaeB`\x82")


def test_command_line_serves_the_site():
    server = subprocess.Popen(
        [sys.executable, "-m", "coursekit.cinema", "--port", "0", "--latency", "0.05", "--seed", "3"],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        line = server.stdout.readline()
        assert line.startswith("serving ") and "/cinema/later/beijing/" in line
        url = line.split(" at ")[1].split()[0]
        soup = BeautifulSoup(get(url).content, "lxml")
        assert len(soup.select("#showing-soon div.item")) == len(sampled_movies(3))
    finally:
        server.terminate()
        server.wait(timeout=10)
        server.stdout.close()


def test_live_view_draws_requests_as_the_server_sees_them():
    (outputs,) = run_in_kernel(
        "import aiohttp, asyncio\n"
        "from coursekit.cinema import CinemaSite, default_movies\n"
        "site = CinemaSite(default_movies()[:3], latency=0.2).start()\n"
        "async def crawl():\n"
        "    async with aiohttp.ClientSession(headers={'User-Agent': 'Mozilla/5.0'}) as session:\n"
        "        async def get(m):\n"
        "            async with session.get(f'{site.url}/subject/{m.id}/') as r:\n"
        "                return r.status\n"
        "        return await asyncio.gather(*(get(m) for m in site.movies))\n"
        "async with site.live_view('detail') as chart:\n"
        "    statuses = await crawl()\n"
        "site.stop()\n"
        "statuses"
    )
    (display,) = [o for o in outputs if o.output_type == "display_data"]
    # Every request ended: the widget gave way to the drawing, saved with the notebook.
    assert "application/vnd.jupyter.widget-view+json" not in display.data
    assert 'class="coursekit-timeline"' in display.data["text/html"]
    lanes = display.data["text/plain"].splitlines()[1:]
    assert len(lanes) == 3 and all(lane.startswith("detail /subject/") and "200 at" in lane for lane in lanes)
    assert [o.data["text/plain"] for o in outputs if o.output_type == "execute_result"] == ["[200, 200, 200]"]
    assert not any(o.output_type == "stream" and o.name == "stderr" for o in outputs)


# -- the site in a process of its own (hidden tests) ----------------------------------------------


def test_an_isolated_sites_process_serves_the_next_site_with_a_fresh_log():
    from coursekit.cinema import IsolatedCinemaSite

    movies = default_movies()[:2]
    with IsolatedCinemaSite(movies) as first:
        first_url = first.url
        assert get(f"{first_url}/cinema/later/beijing/").status_code == 200
        assert [r.kind for r in first.log.of()] == ["listing"]
        first.log.of()  # questions of its own keep the child in step
    for _ in range(3):  # served by the first site's child, or a spare: either way its log starts empty
        with IsolatedCinemaSite(movies[:1]) as second:
            assert second.log.of() == []
            assert get(f"{second.url}/subject/{movies[0].id}/").status_code == 200
            assert [r.kind for r in second.log.of()] == ["detail"]
    with pytest.raises(requests.ConnectionError):
        get(f"{first_url}/cinema/later/beijing/")  # the first site is closed, though its child lives on
    with pytest.raises(RuntimeError, match="not running"):
        first.url


def test_isolated_sites_keep_their_children_out_of_reach():
    """A cell holding a test's child could answer the test's questions itself: none is an attribute."""
    from coursekit.cinema import IsolatedCinemaSite, isolated

    isolated.fork_spares()  # forked children too, when this process has no other thread

    children = (subprocess.Popen, isolated._Forked)
    with IsolatedCinemaSite(default_movies()[:2]) as site:
        reachable = [vars(site), vars(site.log), vars(isolated), vars(isolated._Forked)]
        assert not [value for space in reachable for value in space.values() if isinstance(value, children)]
        assert not [value for space in reachable for value in space.values()
                    if isinstance(value, (list, dict)) and any(isinstance(v, children) for v in value)]


def test_two_isolated_sites_at_once_and_a_child_that_ended_is_not_used_again():
    from coursekit.cinema import IsolatedCinemaSite, isolated

    movies = default_movies()[:2]
    with IsolatedCinemaSite(movies) as one, IsolatedCinemaSite(movies) as two:
        assert one.port != two.port
        get(f"{one.url}/cinema/later/beijing/")
        assert len(one.log.of()) == 1 and two.log.of() == []
    isolated.warm()
    spare = next(cell.cell_contents for cell in isolated.warm.__closure__ if isinstance(cell.cell_contents, list))
    for idle in spare:
        idle.kill()
        idle.wait()
    with IsolatedCinemaSite(movies) as site:
        assert get(f"{site.url}/cinema/later/beijing/").status_code == 200


def test_spare_children_are_forked_only_while_no_other_thread_runs():
    """A grading kernel forks its sites' children before its first cell (coursekit.kernel); forked, they serve
    sites as started ones do, in sessions of their own. With a thread running nothing is forked."""
    script = textwrap.dedent("""
        import os, sys, threading
        from coursekit.cinema import IsolatedCinemaSite, isolated
        if sys.argv[1] == "thread":
            threading.Thread(target=threading.Event().wait, daemon=True).start()
        isolated.fork_spares()
        spare = next(c.cell_contents for c in isolated.warm.__closure__ if isinstance(c.cell_contents, list))
        print(sorted(type(child).__name__ for child in spare))
        for _ in range(3):
            with IsolatedCinemaSite(isolated.default_movies()[:1]) as site:
                print(site.url.startswith("http://127.0.0.1:"), site.log.of() == [])
        print(all(os.getsid(child.pid) == child.pid for child in spare))
    """)
    alone = subprocess.run([sys.executable, "-c", script, "alone"], capture_output=True, text=True, timeout=60)
    assert alone.stdout.splitlines() == ["['_Forked', '_Forked']"] + ["True True"] * 3 + ["True"], alone.stderr
    threaded = subprocess.run([sys.executable, "-c", script, "thread"], capture_output=True, text=True, timeout=60)
    assert threaded.stdout.splitlines()[0] == "[]", threaded.stderr
