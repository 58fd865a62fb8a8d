"""Every file of the package is valid UTF-8 (strictly: no lone surrogate written as bytes),
and no docstring or string constant in its code holds a lone surrogate: such a file, or a
docstring with one, breaks under Pythons and tools that encode source or help text."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "micrograd"
TEXT = (".py", ".js", ".css", ".html", ".txt", ".md", ".json", ".toml")
FILES = sorted(p for p in PACKAGE.rglob("*") if p.is_file() and p.suffix in TEXT and "__pycache__" not in p.parts)


def test_the_package_has_files_to_check():
    assert len(FILES) > 30 and any(p.name == "_core.py" for p in FILES)


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_every_source_file_is_valid_utf8(path):
    path.read_bytes().decode("utf-8", errors="strict")


def _surrogates(text: str) -> list[str]:
    return [f"U+{ord(ch):04X}" for ch in text if 0xD800 <= ord(ch) <= 0xDFFF]


@pytest.mark.parametrize("path", [p for p in FILES if p.suffix == ".py"], ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_string_in_the_code_holds_a_lone_surrogate(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = [
        (node.lineno, _surrogates(node.value))
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and _surrogates(node.value)
    ]
    assert not [f for f in found if _is_docstring_line(tree, f[0])], f"lone surrogates in docstrings: {found}"


def _is_docstring_line(tree: ast.AST, line: int) -> bool:
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            body = node.body
            first = body[0] if body else None
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and first.value.lineno == line:
                return True
    return False


def test_the_check_finds_a_lone_surrogate_in_a_docstring():
    tree = ast.parse('def f():\n    """a \\ud800 b"""\n')
    (constant,) = [n for n in ast.walk(tree) if isinstance(n, ast.Constant)]
    assert _surrogates(constant.value) == ["U+D800"] and _is_docstring_line(tree, constant.lineno)
