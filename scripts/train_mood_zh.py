"""Rebuild the Chinese sentiment model of the mood classifier (models/weights/mood/zh.*)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from models.mood.zh_train import main

if __name__ == "__main__":
    raise SystemExit(main())
