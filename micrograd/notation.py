"""The notebooks' names for a network's values, written and shown.

A network's values are named by their role, as in Nielsen's chapter 2 and the notebooks:
``w[l,j,k]`` the weight from neuron k of layer l − 1 to neuron j of layer l, ``b[l,j]`` a
bias, ``z[l,j]`` a weighted input, ``a[l,j]`` an activation, ``x[k]`` an input, ``y[j]`` a
target, ``C`` the cost. Layers are counted as Nielsen counts them: the input is layer 1,
so the first hidden layer is layer 2; neurons and inputs count from 1.

The names are stored in this plain form (it can be typed, and `micrograd.compile` turns
it into an identifier such as ``w_2_1_1``); drawings and tables show it as Nielsen writes
it, the layer as a superscript and the other indices as subscripts:

>>> role("w", 2, 1, 3), shown(role("w", 2, 1, 3)), shown("x[2]"), shown("b[3,12]")
('w[2,1,3]', 'w²₁₃', 'x₂', 'b³₁₂')
>>> shown("w[2,12,3]"), shown("w[l,j,k]"), shown("loss")   # commas once an index has two digits
('w²₁₂,₃', 'w[l,j,k]', 'loss')

A name whose index has no superscript or subscript form (a letter, a negative number) is
shown as it is written. Standard library only: every layer may use it.
"""

from __future__ import annotations

import re

__all__ = ["LAYERED", "is_symbol", "parse", "role", "shown", "visible"]

LAYERED = frozenset("wbza")  # letters whose first index is the layer (a superscript)
_INDEXED = LAYERED | {"x", "y"}  # letters whose indices are all subscripts otherwise
_ROLE = re.compile(r"([a-zA-Z])\[(\d+(?:,\d+)*)\]")
_SUPERSCRIPTS = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")
_SUBSCRIPTS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")
_SCRIPT_DIGITS = frozenset("⁰¹²³⁴⁵⁶⁷⁸⁹₀₁₂₃₄₅₆₇₈₉ᴸˡⱼₖ")


def role(letter: str, *indices: int) -> str:
    """The plain name of a value with this role: ``role("z", 2, 1)`` is ``z[2,1]``."""
    return f"{letter}[{','.join(str(i) for i in indices)}]" if indices else letter


def parse(name: str) -> tuple[str, tuple[int, ...]] | None:
    """``("w", (2, 1, 3))`` for ``w[2,1,3]``; None for a name that is not a role name."""
    match = _ROLE.fullmatch(name)
    if match is None or match[1] not in _INDEXED:
        return None
    return match[1], tuple(int(i) for i in match[2].split(","))


# Characters a page cannot hold or a reader cannot see: control characters but tab and
# newline, lone surrogates (no UTF-8 for them: a page holding one cannot be written), U+FFFE
# and U+FFFF (not XML, so not in a Graphviz label). Also \r, which would break a line unseen.
_INVISIBLE = re.compile("[^\t\n\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def visible(text: str) -> str:
    r"""`text` with every character a page cannot hold written as its Python escape: the one
    escaping of user text that drawings (`draw_dot`), tables and pages (`save_html`) share.

    >>> visible("a\x07b\ud800c")
    'a\\x07b\\ud800c'
    """
    return _INVISIBLE.sub(lambda match: match.group().encode("unicode_escape").decode("ascii"), text)


def shown(name: str) -> str:
    """`name` as drawings and tables show it: ``w[2,1,3]`` as ``w²₁₃``; others unchanged but
    for the characters no page can show (`visible`)."""
    parsed = parse(name)
    if parsed is None:
        return visible(name)
    letter, indices = parsed
    layer = ""
    if letter in LAYERED and len(indices) > 1:
        layer, indices = str(indices[0]).translate(_SUPERSCRIPTS), indices[1:]
    sep = "," if any(i >= 10 for i in indices) else ""
    return letter + layer + sep.join(str(i) for i in indices).translate(_SUBSCRIPTS)


def is_symbol(name: str) -> bool:
    """True for one symbol with its indices (``w²₁₂,₃``, ``z[2,1]``, ``C⁰``): a name that
    needs no parentheses in ∂C/∂name."""
    if parse(name) is not None:
        return True
    return len(name) > 1 and name[0].isalpha() and all(ch in _SCRIPT_DIGITS or ch == "," for ch in name[1:])
