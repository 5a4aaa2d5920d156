"""The /review cases of bench/review_quality.py: a film, a member's notes, a rating, written the way members write.

Films are well known and in the shipped catalog (1940-2014), except the few marked `# not in the catalog` (later
films, and one invented title). Notes are short and vague about people ("the lead", "the villain", "the old guy");
some name a character or an actor themselves, and then the review may name them too. Ratings are on both scales
(`scale` 5 or 10), about a third negative (<= 40% of the scale), a third mixed and a third positive (>= 70%), with
decimals and a few cases with no rating at all; the notes agree with the rating. /review takes a bare number and
reads one up to 5 as out of 5, so every x/10 here is above 5 (a member cannot give 3/10) and the negative ratings
are out of 5.

The order mixes ratings, scales and unknown films, so that `--films 20` is a fair sample of the whole. This module
imports nothing from the bot: bench/review_quality.py also reads it from a child process that runs older code.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Case:
    film: str  # what the member typed: a title and its year, e.g. "Fargo 1996"
    notes: str
    rating: float | None = None
    scale: int | None = None  # 5 or 10 when rating is set
    tone: str | None = None

    @property
    def share(self) -> float | None:
        """The rating as a share of its scale (0..1), or None without a rating."""
        return None if self.rating is None or self.scale is None else self.rating / self.scale


CASES: tuple[Case, ...] = (
    Case("The Silence of the Lambs 1991",
         "creepy as hell, the interviews thru the glass, Hopkins barely blinks, the girl is tougher than everyone",
         4.5, 5),
    Case("Batman & Robin 1997", "awful puns, the ice villain, the suits, so loud and so long", 1, 5),
    Case("Titanic 1997", "the sinking is incredible but the romance is cheesy, too long, the old lady framing", 3, 5),
    Case("Fargo 1996", "funny and bleak, the accents, the pregnant cop is the heart of it, the wood chipper", 9, 10),
    # not in the catalog
    Case("The Holdovers 2023", "warm and sad, the grumpy teacher, the cook's grief, the snowy school, a bit slow",
         9, 10),
    Case("Catwoman 2004", "terrible cgi, the basketball scene, the villain with the makeup, boring", 1, 5),
    Case("Forrest Gump 1994", "sweet, the running, the history stuff, but sooo sentimental, the girl is treated badly",
         6, 10),
    Case("Casablanca 1942", "the ending at the airport, witty lines, the music, Bogart is so cool", 10, 10),
    Case("Chinatown 1974", "twisty plot, the water, the nose thing, the ending is brutal"),
    Case("Armageddon 1998", "loud and dumb, oil drillers in space, the animal crackers scene, that song", 2, 5),
    Case("Gladiator 2000", "arena fights are good, the emperor is whiny, story is predictable, the music", 3, 5),
    Case("My Neighbor Totoro 1988", "the catbus, the two sisters, the rain at the bus stop, so gentle", 5, 5),
    Case("Pearl Harbor 2001", "three hours of a love triangle, the attack is ok, the dialogue is cringe", 1.5, 5),
    Case("Avatar 2009", "looks amazing, story is pocahontas in space, the blue people, too long", 5.5, 10),
    Case("Jaws 1975", "the music!! shark barely shown, three guys on a boat, the old guy's story about the ship",
         9, 10),
    # not in the catalog
    Case("Morbius 2022", "the villain effects are cheap, boring plot, the end credit scene is dumb", 1, 5),
    Case("Taxi Driver 1976", "lonely, the city at night, the mirror scene, unsettling"),
    Case("The Room 2003", "so bad, the lead laughs at the wrong moments, the rooftop scenes, the football", 1.5, 5),
    Case("Interstellar 2014", "the docking scene, the organ music, the dialogue about love is clunky, too long",
         6.5, 10),
    Case("The Shawshank Redemption 1994", "hope, the friendship, the old guy narrating, the escape, cried a bit",
         5, 5),
    Case("Showgirls 1995", "trashy, the acting is wooden, the dancing is silly, way too long", 1, 5),
    Case("Grease 1978", "songs are catchy, story is dumb, the guy is kind of a jerk to her", 3, 5),
    Case("Back to the Future 1985", "the clock tower, the car, funny and clever, the mom stuff is weird lol", 8.5, 10),
    Case("Battlefield Earth 2000", "tilted camera everywhere, the alien villain in dreadlocks, laughable", 0.5, 5),
    # not in the catalog
    Case("Everything Everywhere All at Once 2022",
         "chaotic but the mom and daughter stuff got me, the hot dog fingers, too much at times", 3.5, 5),
    Case("The Graduate 1967", "the ending on the bus, the older woman, the hero is kind of a blank", 6, 10),
    Case("Toy Story 1995", "the toys, the cowboy is jealous, the spaceman thinks hes real, funny for adults too", 4, 5,
         tone="enthusiastic"),
    Case("Gigli 2003", "no chemistry, the script is awful, the kid is handled badly", 0.5, 5),
    Case("Vertigo 1958", "the spiral titles, obsession, san francisco, the middle is slow", 3, 5),
    Case("Amelie 2001", "whimsical, Paris, the colours, the little schemes, the accordion music", 4.5, 5),
    Case("The Last Airbender 2010", "the kids cant act, stiff dialogue, the bending looks slow, boring", 1.5, 5),
    Case("The Godfather 1972", "the wedding at the start, the family, long but perfect, the baptism", 10, 10),
    Case("Inglourious Basterds 2009",
         "the opening in the farmhouse is great, the villain is scary, the middle drags", 6.5, 10),
    Case("Eyes Wide Shut 1999", "slow, cold, the party scene is silly, the lead wanders around for hours", 2, 5),
    # not in the catalog (invented)
    Case("Marrow Creek 2018", "slow and moody, the sheriff is a creep, the storm scene is good, the ending fizzles",
         6, 10),
    Case("Psycho 1960", "the shower scene, the motel, the son, still scary", 4.5, 5),
    Case("Jurassic Park III 2001", "the raptors talk now?, the phone in the dino, short and forgettable", 2, 5),
    Case("2001: A Space Odyssey 1968", "amazing visuals, the computer, but sooo slow, the ending lost me", 2.5, 5),
    Case("Raiders of the Lost Ark 1981", "boulder scene, the truck chase, the hero is so much fun, face melting",
         9, 10),
    Case("Speed 2: Cruise Control 1997", "a slow boat, the villain with the leeches, no reason to exist", 1, 5),
    Case("The Shining 1980", "the hotel, the twins, the hedge maze, slow dread, Jack going nuts"),
    # not in the catalog
    Case("Cats 2019", "nightmare fuel, the cgi fur, the songs are ok, Judi Dench talking to the camera", 1, 5),
    Case("The Great Gatsby 2013", "flashy, the parties, the music is weird for the period, leo is good", 5.5, 10),
    Case("E.T. the Extra-Terrestrial 1982", "bike flight, the kid and the alien, I cried at the end", 4.5, 5),
    Case("Godzilla 1998", "too dark to see, the mayor jokes, the baby lizards rip off jurassic park", 1.5, 5),
    Case("The Matrix 1999", "lobby shootout, bullet time, the red pill, cool style, Keanu is perfect for it", 8, 10),
    Case("Home Alone 1990", "the traps are funny, the burglars, the mom, a bit mean spirited", 3, 5),
    Case("The Village 2004", "the twist is lame, nice photography, slow, the blind girl is the best part", 2, 5),
    Case("Pulp Fiction 1994", "the diner, the dialogue, non linear story, the dance scene, Samuel L Jackson owns it",
         9.5, 10),
    Case("Alexander 2004", "long and confused, the accents, the big battle is fine, the mom is odd", 2, 5),
    Case("Goodfellas 1990", "the long shot into the club, the energy, the narration, the funny guy scene"),
    Case("Moulin Rouge! 2001", "too frantic at first, the songs, the ending works", 3, 5, tone="wry"),
    Case("Seven Samurai 1954",
         "long, I dozed off in the middle, the rain battle at the end is great, the funny samurai", 3, 5),
    Case("Wild Wild West 1999", "the giant spider, jokes fall flat, the villain in the wheelchair, a mess", 1.5, 5),
    # not in the catalog
    Case("Parasite 2019", "the house, class satire, the basement twist, the peach scene", 5, 5),
    Case("The Truman Show 1998", "clever idea, the ending at the wall, the wife's product lines, felt thin", 6, 10),
    Case("Singin' in the Rain 1952", "pure joy, the lamp post dance, the silent movie jokes", 9, 10),
    Case("Daredevil 2003", "the playground fight, emo, the villain overacts, the nu metal music", 2, 5),
    Case("Rear Window 1954", "the neighbours, the camera, the tension at the end, Grace Kelly", 4.5, 5),
    Case("Star Wars: Episode I - The Phantom Menace 1999",
         "pod race is fun, the kid actor is stiff, jar jar is painful, the duel at the end", 2.5, 5),
    Case("The Dark Knight 2008", "the villain steals it, the interrogation, the truck chase, the ending", 9, 10),
    Case("Heat 1995", "the bank shootout, the diner scene with the two leads, a bit long"),
    Case("No Country for Old Men 2007", "tense, the coin toss, the villain with the air tank, the quiet ending", 9, 10,
         tone="deadpan"),
    # not in the catalog
    Case("Oppenheimer 2023", "the trinity test, the sound, the hearings drag, Cillian is great", 8, 10),
    Case("Up 2009", "the first 10 minutes destroyed me, the old man and the kid, the balloons", 4.5, 5),
    Case("The Big Lebowski 1998", "the Dude, the bowling, the rug, the plot makes no sense and I dont care", 4, 5),
    Case("Alien 1979", "slow build, the ship feels lived in, the chestburster, Ripley", 4.5, 5),
    Case("Home Alone 2: Lost in New York 1992", "same movie again, the pigeon lady, the hotel staff, lazy", 2, 5),
    Case("Inception 2010", "the hallway fight, the music, but cold and confusing, too much explaining", 6.5, 10),
    Case("Highlander II: The Quickening 1991", "makes no sense, aliens now??, the villain screams a lot, cheap sets",
         0.5, 5),
    Case("Amadeus 1984", "the rivalry, the music obviously, the laugh, the jealous old composer", 9, 10),
)
