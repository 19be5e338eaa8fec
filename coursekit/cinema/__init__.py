"""An offline copy of a cinema site's "coming soon" pages, for the crawler chapter.

The real site blocks crawlers and grading machines have no internet, so the
course serves pages of the same structure itself, from a real aiohttp server::

    from coursekit.cinema import CinemaSite

    with CinemaSite(latency=0.2) as site:    # a background thread, a free port
        site.url                             # 'http://127.0.0.1:PORT'
        ...                                  # crawl it with requests or aiohttp
        site.log.peak_in_flight("detail")    # what the server saw

From a shell: ``python -m coursekit.cinema --port 8000 --latency 0.5``.
"""

from coursekit.cinema.data import Movie, default_movies, generated_movies, sampled_movies
from coursekit.cinema.isolated import IsolatedCinemaSite
from coursekit.cinema.server import CinemaSite, RequestLog

__all__ = ["CinemaSite", "IsolatedCinemaSite", "Movie", "RequestLog", "default_movies", "generated_movies", "sampled_movies"]
