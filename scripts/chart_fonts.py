"""Make the /mood chart's fonts for Chinese, Japanese and Korean: subsets of Noto Sans CJK Regular holding only the
characters the chart draws in those languages (its texts in the catalogs, `bot.services.mood.CHART_MESSAGES`), plus
ASCII for the figures. matplotlib's own DejaVu fonts have none of these glyphs.

Noto Sans CJK is under the SIL Open Font License 1.1 (a subset is a Modified Version it allows; the license and the
copyright notice go with it, in models/weights/fonts/). The source is Debian's fonts-noto-cjk package:

    apt-get install fonts-noto-cjk
    .venv/bin/python scripts/chart_fonts.py

Run it again whenever a catalog's chart texts change (a test renders every chart text in every CJK locale and fails
on a missing glyph).
"""

from __future__ import annotations

import argparse
import string
import sys
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTCollection

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.i18n import catalog  # noqa: E402
from bot.services.mood import CHART_MESSAGES  # noqa: E402
from models.mood.report import CHART_FONTS, FONT_DIR  # noqa: E402

SOURCE = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
FAMILIES = {"zh_CN": "Noto Sans CJK SC", "zh_TW": "Noto Sans CJK TC", "ja": "Noto Sans CJK JP",
            "ko": "Noto Sans CJK KR"}  # the face of the collection each locale is drawn in
EXTRA = string.printable.strip() + "→·：（）%"  # figures, tick labels, and what the chart writes itself


def chart_text(locale: str) -> str:
    """Every character of the chart's texts in `locale`'s catalog, and the ASCII the figures use."""
    texts = [str(catalog(locale).get(message).string) for message in CHART_MESSAGES]  # type: ignore[union-attr]
    return "".join(sorted(set("".join(texts) + EXTRA)))


def face(collection: TTCollection, family: str) -> int:
    for index, font in enumerate(collection.fonts):
        if font["name"].getDebugName(1) == family:
            return index
    raise SystemExit(f"{family} is not in {SOURCE}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", type=Path, default=SOURCE, help="NotoSansCJK-Regular.ttc (fonts-noto-cjk)")
    args = parser.parse_args()
    if not args.source.exists():
        raise SystemExit(f"{args.source} not found: apt-get install fonts-noto-cjk")
    collection = TTCollection(str(args.source))
    FONT_DIR.mkdir(parents=True, exist_ok=True)
    for locale, name in CHART_FONTS.items():
        options = subset.Options()
        options.font_number = face(collection, FAMILIES[locale])
        options.name_IDs = ["*"]  # keep the copyright and license notices
        options.layout_features = ["*"]
        font = subset.load_font(str(args.source), options)
        subsetter = subset.Subsetter(options)
        subsetter.populate(text=chart_text(locale))
        subsetter.subset(font)
        out = FONT_DIR / name
        subset.save_font(font, str(out), options)
        print(f"{out.relative_to(ROOT)}: {FAMILIES[locale]}, {len(chart_text(locale))} characters, "
              f"{out.stat().st_size:,} bytes")


if __name__ == "__main__":
    main()
