"""HTML of the listing and detail pages, in the structure of the real site.

Listing: ``div#showing-soon`` holds one ``div.item.mod`` per movie (every other
one also ``odd``) with ``a.thumb > img``, ``div.intro > h3 > a`` to the detail
page, and ``li.dt`` lines for date, genre, region and the want-to-see count.
Detail: the poster is ``#mainpic img``; the site logo comes first in the page,
so ``soup.find("img")`` finds the wrong image.
"""

from __future__ import annotations

from html import escape

from coursekit.cinema.data import Movie

CITIES = {"beijing": "北京", "shanghai": "上海", "guangzhou": "广州", "shenzhen": "深圳", "chengdu": "成都"}


def _page(title: str, body: str) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="zh-CN">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{escape(title)}</title>\n</head>\n<body>\n"
        f'<div id="db-global-nav"><a href="/" class="nav-logo"><img src="/img/logo.png" alt="offline cinema" width="60" height="20"></a></div>\n'
        f'<div id="wrapper">\n{body}\n</div>\n</body>\n</html>\n'
    )


def listing_html(movies: list[Movie], origin: str, city: str = "beijing") -> str:
    name = CITIES.get(city, city)
    items = []
    for n, movie in enumerate(movies):
        link = f"{origin}/subject/{movie.id}/"
        title = escape(movie.title)
        items.append(
            f'<div class="item mod{" odd" if n % 2 == 0 else ""}">\n'
            f'  <a class="thumb" href="{link}"><img src="{origin}/img/thumb/{movie.id}.png" alt="{title}" class=""></a>\n'
            f'  <div class="intro">\n'
            f'    <h3><a href="{link}" class="">{title}</a></h3>\n'
            f"    <ul>\n"
            f'      <li class="dt">{escape(movie.date)}</li>\n'
            f'      <li class="dt">{escape(movie.genre)}</li>\n'
            f'      <li class="dt">{escape(movie.region)}</li>\n'
            f'      <li class="dt last"><span>{movie.want}人想看</span></li>\n'
            f"    </ul>\n"
            f"  </div>\n"
            f"</div>"
        )
    body = (
        f'<div id="content">\n<h1>{name} 即将上映</h1>\n'
        f'<div id="showing-soon" class="tab-bd">\n' + "\n".join(items) + "\n</div>\n</div>"
    )
    return _page(f"{name} 即将上映的电影", body)


def detail_html(movie: Movie, origin: str) -> str:
    title = escape(movie.title)
    body = (
        f'<div id="content">\n<h1><span property="v:itemreviewed">{title}</span></h1>\n'
        f'<div class="subject clearfix">\n'
        f'  <div id="mainpic" class="">\n'
        f'    <a class="nbgnbg" href="{origin}/subject/{movie.id}/photos" title="点击看更多海报">\n'
        f'      <img src="{origin}/img/poster/{movie.id}.png" title="点击看更多海报" alt="{title}" rel="v:image">\n'
        f"    </a>\n  </div>\n"
        f'  <div id="info">\n'
        f'    <span class="pl">类型:</span> <span property="v:genre">{escape(movie.genre)}</span><br>\n'
        f'    <span class="pl">制片国家/地区:</span> {escape(movie.region)}<br>\n'
        f'    <span class="pl">上映日期:</span> <span property="v:initialReleaseDate">{escape(movie.date)}</span><br>\n'
        f"  </div>\n</div>\n</div>"
    )
    return _page(f"{movie.title} (电影)", body)
