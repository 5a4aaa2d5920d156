"""Everything the bot derives from the film catalog, built at once (`warm`): the catalog's title index and actors'
prominence, the grounding check's index of credited people (`models.film.grounding.people_of`) and the recommender's
feature table (`models.film.recommend`). They import the catalog; the catalog is given them here, so nothing imports
in a circle. Call `warm` off the event loop (about 2 s for the shipped catalog): at start, and after films were added.
"""

from __future__ import annotations

from collections.abc import Callable

from models.film.catalog import Catalog
from models.film.grounding import people_of
from models.film.recommend import recommender_for


def _recommender(catalog: Catalog) -> None:
    recommender_for(catalog).warm()


BUILDERS: tuple[Callable[[Catalog], object], ...] = (people_of, _recommender)


def warm(catalog: Catalog) -> None:
    """Build every index of `catalog` now (cheap when they are built already)."""
    catalog.warm(*BUILDERS)
