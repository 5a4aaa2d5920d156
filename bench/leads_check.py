"""How right the bot's principal cast of a film is, against an independent list of leads.

bench/leads_truth.tsv holds the 2-3 top-billed stars of 100 well-known films (1940-2014), written from general film
knowledge before looking at data/catalog/plots.tsv. Each film is resolved with `Catalog.resolve("Title Year")`
(films that do not resolve are skipped and listed); then three ways of naming its principal cast are scored:

  shipped     `Catalog.principal_cast(film)`: the billed leads from plots.tsv where it has them, else the guess
  prominence  `Catalog._prominent().principal(film, 5)`: the guess from catalog-wide prominence alone
  billed      `Catalog.story(film).leads`: plots.tsv's billed leads, only for films that have them

and, for each: coverage (films with any principal cast), lead recall (share of truth leads found in the principal
cast), first right (share of films whose first principal-cast name is a truth lead) and name precision (share of
principal-cast names that are truth leads; at most 3/5 for a five-name guess, so read it as a ranking aid).
Names are compared without accents, case or punctuation. Names in a principal cast that are not truth leads are
listed by film, so a reader can tell supporting players (fine) from bit players (wrong). A truth lead that is not in
the catalog's cast list at all is counted apart: no ranking could find it.

    python bench/leads_check.py              # last line: leads_check films N resolved R shipped_recall A ...
    python bench/leads_check.py --verbose    # plus a per-film table
"""

from __future__ import annotations

import argparse
import csv
import sys
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from models.film.catalog import PRINCIPAL_CAST, Catalog, Film

TRUTH = Path(__file__).with_name("leads_truth.tsv")


def name_key(name: str) -> str:
    """ "Chishū Ryū" == "chishu ryu", "Samuel L. Jackson" == "Samuel L Jackson", "Chow Yun-fat" == "Chow Yun-Fat"."""
    text = "".join(ch for ch in unicodedata.normalize("NFKD", name) if not unicodedata.combining(ch)).casefold()
    return " ".join("".join(ch if ch.isalnum() else " " for ch in text).split())


@dataclass(frozen=True, slots=True)
class Case:
    film: str
    year: int
    leads: tuple[str, ...]


def read_truth(path: Path) -> list[Case]:
    with path.open(encoding="utf-8", newline="") as f:
        lines = [line for line in f if line.strip() and not line.startswith("#")]
    return [
        Case(row["film"], int(row["year"]), tuple(n.strip() for n in row["leads"].split(", ") if n.strip()))
        for row in csv.DictReader(lines, delimiter="\t")
    ]


@dataclass
class Score:
    """One method's tallies over the resolved films."""

    name: str
    films: int = 0
    covered: int = 0
    truth_leads: int = 0  # over covered films only for `billed`, over all resolved films otherwise
    found: int = 0
    first_right: int = 0
    names: int = 0
    names_true: int = 0
    extras: list[tuple[str, list[str]]] = field(default_factory=list)  # film, names not in its truth leads

    def add(self, label: str, truth: Sequence[str], cast: Sequence[str], only_covered: bool) -> None:
        self.films += 1
        if cast:
            self.covered += 1
        elif only_covered:
            return
        keys = {name_key(n) for n in cast}
        truth_keys = {name_key(n) for n in truth}
        self.truth_leads += len(truth)
        self.found += sum(name_key(n) in keys for n in truth)
        self.first_right += bool(cast) and name_key(cast[0]) in truth_keys
        self.names += len(cast)
        self.names_true += sum(name_key(n) in truth_keys for n in cast)
        extra = [n for n in cast if name_key(n) not in truth_keys]
        if extra:
            self.extras.append((label, extra))

    def recall(self) -> float:
        return self.found / self.truth_leads if self.truth_leads else 0.0

    def first(self) -> float:
        return self.first_right / self.covered if self.covered else 0.0

    def precision(self) -> float:
        return self.names_true / self.names if self.names else 0.0

    def summary(self) -> str:
        return (
            f"{self.name:<11} coverage {self.covered}/{self.films}  recall {self.found}/{self.truth_leads} "
            f"= {self.recall():.3f}  first_right {self.first_right}/{self.covered} = {self.first():.3f}  "
            f"name_precision {self.names_true}/{self.names} = {self.precision():.3f}"
        )


def mark(names: Sequence[str], truth: Sequence[str]) -> str:
    """The names, a truth lead starred."""
    keys = {name_key(n) for n in truth}
    return ", ".join(f"*{n}" if name_key(n) in keys else n for n in names) or "-"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--truth", type=Path, default=TRUTH, help="the truth file (film, year, leads; tab-separated)")
    parser.add_argument("--verbose", action="store_true", help="print a per-film table")
    args = parser.parse_args(argv)

    cases = read_truth(args.truth)
    catalog = Catalog.open()
    catalog.warm()
    prominence = catalog._prominent()
    methods: dict[str, Callable[[Film], tuple[str, ...]]] = {
        "shipped": catalog.principal_cast,
        "prominence": lambda film: prominence.principal(film, PRINCIPAL_CAST),
        "billed": lambda film: story.leads if (story := catalog.story(film)) is not None else (),
    }
    scores = {name: Score(name) for name in methods}
    unresolved: list[str] = []
    not_in_cast: list[tuple[str, str]] = []  # film, truth lead missing from the catalog's cast list
    for case in cases:
        query = f"{case.film} {case.year}"
        film = catalog.resolve(query).film
        if film is None:
            seen = catalog.resolve(query).candidates[:3]
            unresolved.append(f"{query!r} (candidates: {'; '.join(f'{m.film.title_year()} {m.score}' for m in seen)})")
            continue
        label = film.title_year()
        cast_keys = {name_key(n) for n in film.cast}
        not_in_cast.extend((label, n) for n in case.leads if name_key(n) not in cast_keys)
        picks = {name: method(film) for name, method in methods.items()}
        for name, cast in picks.items():
            scores[name].add(label, case.leads, cast, only_covered=name == "billed")
        if args.verbose:
            print(f"{label}  [cast {len(film.cast)}]")
            print(f"  truth       {', '.join(case.leads)}")
            for name, cast in picks.items():
                print(f"  {name:<11} {mark(cast, case.leads)}")

    resolved = len(cases) - len(unresolved)
    print(f"\nfilms {len(cases)}, resolved {resolved}")
    for line in unresolved:
        print(f"  unresolved: {line}")
    for score in scores.values():
        print(score.summary())
    print(f"\ntruth leads missing from the catalog's cast list ({len(not_in_cast)}; no ranking can find them):")
    for label, name in not_in_cast:
        print(f"  {label}: {name}")
    for name in ("shipped", "prominence"):
        extras = scores[name].extras
        print(f"\n{name}: films with principal-cast names not in the truth leads ({len(extras)}; supporting or bit?):")
        for label, names in extras:
            print(f"  {label}: {', '.join(names)}")
    ship, prom, billed = scores["shipped"], scores["prominence"], scores["billed"]
    print(
        f"leads_check films {len(cases)} resolved {resolved} shipped_recall {ship.recall():.3f} "
        f"shipped_first_right {ship.first():.3f} prominence_recall {prom.recall():.3f} "
        f"prominence_first_right {prom.first():.3f} billed_coverage {billed.covered}/{billed.films} "
        f"billed_recall {billed.recall():.3f}"
    )
    catalog.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
