"""What the bot knows about films: the catalog and its title resolver, the grounding check of a reply, the story and
opinion check (fidelity), the recommender, and the indexes derived from the catalog."""
