"""Rebuild the shipped mood classifier (models/weights/mood/); the same as `cinebot train mood`."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from models.mood.train import main

if __name__ == "__main__":
    raise SystemExit(main())
