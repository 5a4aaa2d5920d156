"""Build the shipped film catalog (data/catalog/films.sqlite3) from the CC0 Wikidata film table.

    python scripts/build_catalog.py                                   # ../shared/data/catalog/wikidata_films.csv
    python scripts/build_catalog.py --csv path/to/films.csv --out /tmp/films.sqlite3

The build is deterministic: rows go in by id, the file is written to a temporary name, vacuumed and then
moved into place, so the same CSV and the same SQLite library give a byte-identical file. Rebuild whenever
`models.film.catalog.NORM_VERSION` or `SCHEMA_VERSION` changes (the catalog refuses to open a stale file).
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import os
import sqlite3
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from models.film.catalog import DEFAULT_PATH, film_from_csv, init_schema, insert_film  # noqa: E402

DEFAULT_CSV = ROOT.parent / "shared" / "data" / "catalog" / "wikidata_films.csv"
SOURCE = "Wikidata film table from the PyPI package bokeh-sampledata 2026.1 (CC0-1.0)"


def build(csv_path: Path, out: Path) -> int:
    """Write the catalog for `csv_path` to `out` (replacing it); returns the number of films."""
    with csv_path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    films = []
    for row in rows:
        film, reviews = film_from_csv(row, int(row["ID"]))
        if film.title:
            films.append((film, reviews))
    films.sort(key=lambda fr: fr[0].id)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    tmp.unlink(missing_ok=True)
    conn = sqlite3.connect(tmp)
    try:
        conn.execute("PRAGMA page_size = 4096")
        conn.execute("PRAGMA journal_mode = DELETE")
        with conn:
            init_schema(conn)
            conn.executemany(
                "INSERT INTO meta (key, value) VALUES (?, ?)",
                [("source", SOURCE), ("license", "CC0-1.0"), ("films", str(len(films)))],
            )
            for film, reviews in films:
                insert_film(conn, film, reviews)
        conn.execute("VACUUM")
    finally:
        conn.close()
    os.replace(tmp, out)
    return len(films)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--csv", type=Path, default=DEFAULT_CSV, help="the Wikidata film table (CSV)")
    parser.add_argument("--out", type=Path, default=DEFAULT_PATH, help="the catalog file to write")
    args = parser.parse_args(argv)
    if not args.csv.is_file():
        parser.error(f"{args.csv} not found; pass --csv")
    count = build(args.csv, args.out)
    digest = hashlib.sha256(args.out.read_bytes()).hexdigest()
    print(f"{args.out}: {count} films, {args.out.stat().st_size / 1e6:.1f} MB, sha256 {digest[:16]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
