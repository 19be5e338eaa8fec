"""Serve the offline cinema site from a shell.

    python -m coursekit.cinema --port 8000 --latency 0.5
    python -m coursekit.cinema --seed 7            # a shuffled subset, new ids
    python -m coursekit.cinema --movies 1000       # made-up movies, for load
"""

from __future__ import annotations

import argparse
import threading

from coursekit.cinema.data import default_movies, generated_movies, sampled_movies
from coursekit.cinema.server import CinemaSite


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m coursekit.cinema", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000, help="0 picks a free port (default 8000)")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds before each reply (default 0)")
    choice = parser.add_mutually_exclusive_group()
    choice.add_argument("--seed", type=int, help="list a shuffled subset of the movies, with new ids")
    choice.add_argument("--movies", type=int, help="list this many made-up movies")
    args = parser.parse_args(argv)

    movies = (
        sampled_movies(args.seed) if args.seed is not None
        else generated_movies(args.movies) if args.movies is not None
        else default_movies()
    )
    with CinemaSite(movies, latency=args.latency, host=args.host, port=args.port) as site:
        print(f"serving {len(movies)} movies at {site.url}/cinema/later/beijing/ (Ctrl-C to stop)", flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
