"""Exercises of notebook 06: count the paths and the edges of a chain of three-way diamonds
before `count_paths` and `count_edges` do."""

from __future__ import annotations

from micrograd.engine import Value
from micrograd.exercises._core import exercise, judge_number
from micrograd.explain import count_edges, count_paths


def _paths_mistakes(y: Value, x: Value, n: int) -> dict[float, str]:
    return {
        2**n: "that is the two-branch diamond of the notebook; here every diamond has three branches.",
        3 * n: "branches are added per diamond, but a path picks one branch at EACH diamond: the choices multiply.",
        count_edges(y): "that is the number of edges, what backward() visits, not the number of paths.",
        n**3: "the exponent and the base are swapped: n choices of 3, or 3 choices n times?",
    }


@exercise(
    "06.paths",
    "How many paths lead from x to y through the chain of three-way diamonds?",
    hint="a path chooses one branch at each diamond, independently of the other diamonds.",
    judge=judge_number(rel=0, abs_tol=0.5, mistakes=_paths_mistakes),
)
def paths_through_diamonds(y: Value, x: Value, n: int) -> int:
    return count_paths(y, x)


def _edges_mistakes(y: Value, x: Value, n: int) -> dict[float, str]:
    return {
        count_paths(y, x): "that is the number of paths; backward() visits each edge once, however many paths use it.",
        4 * n: "that is the two-branch diamond (two edges in, two out); count the edges of a three-way one.",
        3 * n: "that counts the edges into the branches only; each branch also has an edge into the sum.",
        6 * n: "close, but a sum of three is two additions, (t + s) + r: the first sum has an edge into the second.",
    }


@exercise(
    "06.edges",
    "How many edges does backward() visit in the same graph?",
    hint="count the edges of one three-way diamond (into each branch, and from each branch into the sum).",
    judge=judge_number(rel=0, abs_tol=0.5, mistakes=_edges_mistakes),
)
def edges_of_diamonds(y: Value, x: Value, n: int) -> int:
    return count_edges(y)
