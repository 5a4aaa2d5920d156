"""Wrong names in reviews, without and with grounding in the film catalog, side by side.

For 30 well-known catalog films (notes written below), the model writes a /review twice: once from the notes alone
(no catalog facts, no check) and once grounded (the catalog's credits in the prompt and the post-check that drops
sentences crediting the wrong people). Each final reply is checked for people the catalog credits on other films but
not on this one (and that the notes do not name): the share of replies with such a wrong name is printed per mode.

    python bench/grounding.py                         # the embedded default model
    python bench/grounding.py --model smollm2-135m --films 10
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.settings import Settings
from models import runner
from models.catalog import Catalog
from models.grounding import Grounding, people_of
from models.llm import registry
from models.llm.jobs import JobQueue
from models.llm.worker import BatchingWorker, WorkerConfig
from models.tasks import ReviewInput

FILMS = [
    ("The Silence of the Lambs 1991", "terrifying and smart, the prison interviews, Clarice is a great lead", 5),
    ("Fargo 1996", "funny and bleak, the accents, the wood chipper, Marge is the heart of it", 4.5),
    ("Alien 1979", "slow build, grimy ship, the chestburster, Ripley", 4.5),
    ("The Godfather 1972", "the wedding opening, the family, the baptism montage, long but perfect", 5),
    ("Pulp Fiction 1994", "the diner, the dialogue, the non-linear story, the dance scene", 4.5),
    ("Jaws 1975", "the score, the shark barely shown, the three men on the boat", 4.5),
    ("Casablanca 1942", "the ending at the airport, the songs, the romance, witty lines", 5),
    ("Taxi Driver 1976", "lonely, the city at night, unsettling, the mirror scene", 4),
    ("The Shining 1980", "the hotel, the twins, the hedge maze, the slow dread", 4.5),
    ("Goodfellas 1990", "the tracking shot into the club, the energy, the narration", 4.5),
    ("Titanic 1997", "huge and romantic, the sinking is incredible, a bit long", 4),
    ("The Matrix 1999", "the lobby shootout, bullet time, the red pill, cool style", 4.5),
    ("Fight Club 1999", "twisty, dark humour, the ending, the narration", 4),
    ("Forrest Gump 1994", "sweet, the running, the history, a bit sentimental", 3.5),
    ("Gladiator 2000", "the arena fights, the score, revenge story, emotional ending", 4),
    ("Amelie 2001", "whimsical, Paris, the colours, the little schemes", 4.5),
    ("Spirited Away 2001", "the bathhouse, the spirits, the train ride, gorgeous animation", 5),
    ("No Country for Old Men 2007", "tense, the coin toss, the villain, the quiet ending", 4.5),
    ("The Dark Knight 2008", "the villain steals it, the interrogation, the truck chase", 4.5),
    ("Inception 2010", "the spinning hallway, the layers of dreams, the score", 4),
    ("Heat 1995", "the bank shootout, the diner scene, a bit long", 4),
    ("Raiders of the Lost Ark 1981", "the boulder, the fun, the truck chase, the face-melting ending", 4.5),
    ("Back to the Future 1985", "the clock tower, the DeLorean, funny and clever", 4.5),
    ("E.T. the Extra-Terrestrial 1982", "the bike flight, the friendship, I cried at the end", 4.5),
    ("Psycho 1960", "the shower scene, the motel, the twist, still scary", 4.5),
    ("Vertigo 1958", "the spiral, the obsession, San Francisco, the tower", 4),
    ("Chinatown 1974", "the twisty plot, the water, the ending is brutal", 4.5),
    ("The Terminator 1984", "relentless, the robot, the chase, low budget but great", 4),
    ("Toy Story 1995", "the toys, the friendship, funny for adults too", 4.5),
    ("Parasite 2019", "the house, the class satire, the basement twist", 5),  # not in the catalog (1940-2014)
]


async def run_mode(queue: JobQueue, items: list[tuple[ReviewInput, Grounding]]) -> list[str]:
    runs = [runner.submit(queue, "review", inp) for inp, _ in items]
    texts = []
    for run in runs:
        try:
            texts.append((await run.reply()).text)
        except Exception as exc:  # a refusal that survived its retry counts as a reply without names
            texts.append(f"[no reply: {exc}]")
    return texts


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="qwen2.5-coder-1.5b")
    parser.add_argument("--films", type=int, default=len(FILMS))
    parser.add_argument("--max-new-tokens", type=int, default=120, help="cap per review (default 120)")
    parser.add_argument("--show", action="store_true", help="print every reply")
    args = parser.parse_args()
    settings = Settings.load(env={}, env_file=None)
    catalog = Catalog.open()
    catalog.warm()
    people = people_of(catalog)
    lm = registry.load(args.model, settings.cache_dir, progress=False)
    queue = JobQueue(max_waiting=256)
    worker = BatchingWorker(lm, queue, WorkerConfig(max_batch=32, max_batch_tokens=1 << 20,
                                                    max_new_tokens=args.max_new_tokens))
    plain: list[tuple[ReviewInput, Grounding]] = []
    grounded: list[tuple[ReviewInput, Grounding]] = []
    for query, notes, rating in FILMS[: args.films]:
        film = catalog.resolve(query).film
        title, year = (film.title, film.year) if film else (query.rsplit(" ", 1)[0], int(query.rsplit(" ", 1)[1]))
        check = Grounding.build(film, notes, people)  # the judge: the same catalog knowledge for both modes
        plain.append((ReviewInput.create(film=title, year=year, notes=notes, rating=rating), check))
        grounded.append((ReviewInput.create(film=title, year=year, notes=notes, rating=rating, grounding=check), check))
    shares = []
    async with worker:
        for name, items in (("ungrounded", plain), ("grounded", grounded)):
            started = time.perf_counter()
            texts = await run_mode(queue, items)
            wrong = [check.wrong_names(text) for (_, check), text in zip(items, texts, strict=True)]
            share = sum(1 for w in wrong if w) / len(items)
            shares.append(share)
            print(f"{name}: {sum(1 for w in wrong if w)}/{len(items)} replies name a wrong director or cast member "
                  f"({time.perf_counter() - started:.0f} s)", flush=True)
            for (inp, _), text, names in zip(items, texts, wrong, strict=True):
                if names:
                    print(f"  {inp.title}: {', '.join(names)}")
                if args.show:
                    print(f"  --- {inp.title}\n  {text}\n")
    print(f"wrong_name_share ungrounded {shares[0]:.2f} grounded {shares[1]:.2f}")


if __name__ == "__main__":
    asyncio.run(main())
