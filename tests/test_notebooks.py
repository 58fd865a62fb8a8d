"""The notebooks' text against their stored outputs: every number the text quotes is a number
an output shows, and every drawing is small enough for Jupyter to show without shrinking its text.

Decimal numbers only (a decimal point, an exponent such as ``1e-06``, or a power of ten written
``10⁻⁶``): whole numbers in prose are counts and indices ("3 paths", "layer 2"), rarely results.
Inline code spans are skipped (they quote code, not results). A number must appear verbatim in
a stored output of the same notebook (text, HTML or a drawing's SVG), with no digit glued to
either side; the few textbook constants the text may quote without computing them are listed in
ALLOWED with the reason.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("*.ipynb"))

# Numbers a notebook may quote that no cell computes, with why.
ALLOWED = {
    "10⁻¹⁶": "the rounding of double-precision arithmetic (machine epsilon is 2.2e-16), a textbook constant",
}

# Notebooks whose text or outputs are known not to agree yet (name -> why), marked xfail; none now.
PENDING: dict[str, str] = {}

_SUPERSCRIPT = "⁰¹²³⁴⁵⁶⁷⁸⁹"
QUOTED_NUMBER = re.compile(
    r"(?<![\w.])"  # not the tail of a word, a longer number or a version (0.1.0)
    r"(?:[-−]?\d+(?:\.\d+)?e[-+]?\d+"  # 1e-06, 2.5e+03
    rf"|10[⁻⁺]?[{_SUPERSCRIPT}]+"  # 10⁻⁶
    r"|[-−]?\d+\.\d+)"  # 0.1077, -3.5
    r"(?!\.?\d)"  # and not followed by more digits (a sentence may end with a full stop)
)
INLINE_CODE = re.compile(r"`[^`]*`")
SVG_WIDTH = re.compile(r'<svg[^>]*\bwidth="([\d.]+)pt"')


def _text(value) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


def _load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def quoted_numbers(markdown: str) -> list[str]:
    """The decimal numbers a markdown cell quotes, with − written as -."""
    return [m.replace("−", "-") for m in QUOTED_NUMBER.findall(INLINE_CODE.sub("", markdown))]


def output_texts(nb: dict) -> list[str]:
    texts = []
    for cell in nb["cells"]:
        for output in cell.get("outputs", []):
            texts.append(_text(output.get("text", "")))
            for mime, value in output.get("data", {}).items():
                if mime.startswith("text/") or mime == "image/svg+xml":
                    texts.append(_text(value))
    return texts


def shown(number: str, texts: list[str]) -> bool:
    pattern = re.compile(rf"(?<![\d.]){re.escape(number)}(?!\d)")
    return any(pattern.search(text) for text in texts)


def _params(check_pending: bool = True):
    for path in NOTEBOOKS:
        marks = []
        if check_pending and path.name in PENDING:
            marks.append(pytest.mark.xfail(reason=PENDING[path.name], strict=False))
        yield pytest.param(path, id=path.stem, marks=marks)


def test_the_number_pattern():
    text = "δ = −0.1077 and 2.5e-05; at h ≈ 10⁻⁶; micrograd 0.1.0; 3 paths; ends with 0.25. `x = 1.5`"
    assert quoted_numbers(text) == ["-0.1077", "2.5e-05", "10⁻⁶", "0.25"]
    assert shown("0.25", ["a 0.25 b"]) and not shown("0.25", ["0.255"]) and not shown("0.25", ["10.25"])


@pytest.mark.parametrize("path", list(_params()))
def test_every_number_quoted_in_the_text_is_in_an_output(path):
    nb = _load(path)
    texts = output_texts(nb)
    missing = []
    for n, cell in enumerate(nb["cells"], 1):
        if cell["cell_type"] != "markdown":
            continue
        for number in quoted_numbers(_text(cell["source"])):
            if number not in ALLOWED and not shown(number, texts):
                missing.append(f"cell {n} ({cell.get('id')}): {number}")
    assert not missing, f"{path.name} quotes numbers no stored output shows:\n" + "\n".join(missing)


# Jupyter scales an SVG down to the width of the output area (about 900 px in a default
# JupyterLab window). A drawing up to 1000 pt (1333 px) keeps its 12 pt labels at 8 pt or more.
MAX_SVG_WIDTH_PT = 1000


@pytest.mark.parametrize("path", list(_params()))
def test_drawings_fit_without_shrinking_their_text_unreadably(path):
    too_wide = []
    for n, cell in enumerate(_load(path)["cells"], 1):
        for output in cell.get("outputs", []):
            svg = _text(output.get("data", {}).get("image/svg+xml", ""))
            match = SVG_WIDTH.search(svg)
            if match and float(match.group(1)) > MAX_SVG_WIDTH_PT:
                too_wide.append(f"cell {n} ({cell.get('id')}): {match.group(1)} pt")
    assert not too_wide, f"{path.name} has drawings wider than {MAX_SVG_WIDTH_PT} pt:\n" + "\n".join(too_wide)
