"""Positions read off CPython's ast agree with libcst's PositionProvider.

The extractor reports positions from CPython's ast, converting its UTF-8 byte columns to
characters and moving decorators to their `@`. libcst's PositionProvider counts the
same things independently; for every kind of node a job or finding can point at, both
must give the same multiset of positions.
"""

from __future__ import annotations

import ast
from collections import Counter
from pathlib import Path

import hypothesmith
import libcst as cst
import pytest
from hypothesis import HealthCheck, given, settings
from libcst.metadata import MetadataWrapper, PositionProvider

from check_background_tasks.extract.positions import Positions

ROOT = Path(__file__).resolve().parents[1]
SOURCES = sorted(
    [*ROOT.glob("src/**/*.py"), *ROOT.glob("fixtures/**/*.py"), *ROOT.glob("tests/*.py")]
)

TRICKY = """
# -*- coding: utf-8 -*-
café = {"ключ": f"{len('é')}", "b": {"nested": dict(x=1, y=g(h(2)))}, **other}
@deco
@ other.deco(arg=1)
class K(Base, metaclass=M):
    x: int = 1
    def m(self, *a, k=call(), **kw):
        return f"{self.n(1)!r:>{w(2)}}" + g()(h)
lam = lambda: (yield_ := q(1))
y = [f(i) for i in range(3) if p(i)]
a = b = c(d=e(f=1))
z = "two statements"; zz = ƒ(ü=1)
"""

Found = Counter[tuple[str, int, int]]


def _ours(source: bytes) -> Found:
    tree = ast.parse(source)
    positions = Positions(source)
    found: Found = Counter()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            found[("call", *positions.get(node))] += 1
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            if not isinstance(node, ast.ClassDef):
                found[("def", *positions.get(node))] += 1
            for decorator in node.decorator_list:
                found[("decorator", *positions.decorator(decorator))] += 1
        elif isinstance(node, ast.Dict):
            for key in node.keys:
                if key is not None:
                    found[("dictkey", *positions.get(key))] += 1
        elif isinstance(node, ast.keyword) and node.arg is not None:
            found[("keyword", *positions.get(node))] += 1
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            found[("assign", *positions.get(node))] += 1
    return found


def _reference(source: bytes) -> Found:
    module = cst.parse_module(source)
    where = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    found: Found = Counter()

    def note(kind: str, node: cst.CSTNode) -> None:
        start = where[node].start
        found[kind, start.line, start.column + 1] += 1

    class Walk(cst.CSTVisitor):
        def visit_Call(self, node: cst.Call) -> None:
            # ast places a parenthesised call inside its parentheses, at its function
            note("call", node.func)

        def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
            note("def", node)

        def visit_Decorator(self, node: cst.Decorator) -> None:
            note("decorator", node)

        def visit_DictElement(self, node: cst.DictElement) -> None:
            note("dictkey", node.key)

        def visit_Arg(self, node: cst.Arg) -> None:
            if node.keyword is not None:
                note("keyword", node.keyword)

        def visit_Assign(self, node: cst.Assign) -> None:
            note("assign", node)

        def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
            note("assign", node)

    module.visit(Walk())
    return found


def _compare(source: bytes) -> int:
    try:
        ast.parse(source)
    except (SyntaxError, ValueError):
        return 0
    ours, reference = _ours(source), _reference(source)
    assert ours == reference, (ours - reference, reference - ours)
    return sum(ours.values())


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_positions_match_position_provider_on_real_files(path):
    _compare(path.read_bytes())


def test_positions_on_tricky_source():
    assert _compare(TRICKY.encode()) > 20


def test_positions_count_characters_under_a_coding_cookie():
    source = "# -*- coding: latin-1 -*-\nx = 'é'; f(a=1)\n".encode("latin-1")
    assert _compare(source) == 3


@settings(max_examples=40, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(hypothesmith.from_node())
def test_positions_on_generated_programs(source):
    _compare(source.encode("utf-8", "surrogatepass"))
