"""The movies the site lists: the sixteen of the article, or a random selection."""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True)
class Movie:
    id: str  # the number in /subject/<id>/
    title: str
    date: str  # as the page shows it: 02月05日
    genre: str
    region: str
    want: int  # how many people want to see it

    def expected(self, base_url: str) -> dict[str, str]:
        """What a correct crawl reports for this movie."""
        return {
            "title": self.title,
            "date": self.date,
            "url": f"{base_url}/subject/{self.id}/",
            "poster": f"{base_url}/img/poster/{self.id}.png",
        }


# The titles and dates the article's crawl printed; genre, region, counts and
# ids are the course's own.
_DEFAULT = [
    ("风再起时", "02月05日", "剧情", "中国香港"),
    ("黑豹2", "02月07日", "动作 / 科幻", "美国"),
    ("不能流泪的悲伤", "02月14日", "爱情", "中国台湾"),
    ("蚁人与黄蜂女：量子狂潮", "02月17日", "喜剧 / 动作 / 科幻", "美国"),
    ("中国乒乓之绝地反击", "02月17日", "剧情 / 运动", "中国大陆"),
    ("印式英语", "02月24日", "剧情 / 喜剧", "印度"),
    ("毒舌律师", "02月24日", "剧情", "中国香港"),
    ("会考试的猛犸象", "02月24日", "动画", "中国大陆"),
    ("拨浪鼓咚咚响", "02月25日", "剧情 / 家庭", "中国大陆"),
    ("宇宙探索编辑部", "04月01日", "喜剧 / 科幻", "中国大陆"),
    ("龙马精神", "04月07日", "喜剧 / 动作", "中国香港"),
    ("长空之王", "04月28日", "剧情 / 动作", "中国大陆"),
    ("人生路不熟", "04月28日", "喜剧", "中国大陆"),
    ("检察风云", "04月29日", "剧情 / 悬疑", "中国大陆"),
    ("请别相信她", "05月20日", "喜剧", "中国大陆"),
    ("伟大的胜利", "09月30日", "剧情 / 历史", "中国大陆"),
]


def default_movies() -> list[Movie]:
    return [
        Movie(id=str(35204100 + 17 * n), title=title, date=date, genre=genre, region=region, want=1200 + 313 * n)
        for n, (title, date, genre, region) in enumerate(_DEFAULT)
    ]


def sampled_movies(seed: int, count: int | None = None) -> list[Movie]:
    """A shuffled subset of the default movies with fresh ids: no answer can be hard-coded."""
    rng = random.Random(seed)
    movies = default_movies()
    count = count if count is not None else rng.randint(8, len(movies))
    ids = rng.sample(range(30_000_000, 37_000_000), count)
    return [
        Movie(id=str(new_id), title=m.title, date=m.date, genre=m.genre, region=m.region, want=rng.randint(50, 90_000))
        for m, new_id in zip(rng.sample(movies, count), ids)
    ]


def generated_movies(count: int, seed: int = 0) -> list[Movie]:
    """Any number of made-up movies, for load and memory figures."""
    rng = random.Random(seed)
    ids = rng.sample(range(10_000_000, 99_999_999), count)
    return [
        Movie(
            id=str(movie_id),
            title=f"测试电影 {n + 1:04d}",
            date=f"{rng.randint(1, 12):02d}月{rng.randint(1, 28):02d}日",
            genre=rng.choice(["剧情", "喜剧", "动作", "科幻", "动画"]),
            region=rng.choice(["中国大陆", "中国香港", "美国", "日本"]),
            want=rng.randint(10, 90_000),
        )
        for n, movie_id in enumerate(ids)
    ]
