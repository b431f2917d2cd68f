"""``make bench``: every benchmark of the project, one after the other.

The database comes from ``BENCH_DATABASE_URL`` (default: the scratch database
``postgres://postgres@127.0.0.1:5432/haken_bench1m``, which must be empty or built by the
benchmark before; create it with ``createdb haken_bench1m``).
"""

from __future__ import annotations

import os

from bench import search_1m

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/haken_bench1m"


def main() -> None:
    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    search_1m.main(["--database-url", url])


if __name__ == "__main__":
    main()
