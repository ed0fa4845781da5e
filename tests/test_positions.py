"""Positions read off CPython's ast agree with libcst's PositionProvider, node for node."""

from __future__ import annotations

import ast
from pathlib import Path

import hypothesmith
import libcst as cst
import pytest
from hypothesis import HealthCheck, given, settings
from libcst.metadata import MetadataWrapper, PositionProvider

from check_background_tasks.extract.context import FileContext
from check_background_tasks.extract.names import ImportTable
from check_background_tasks.extract.positions import Positions
from check_background_tasks.extract.python import Collector

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
"""


def _compare(source: bytes) -> int:
    try:
        tree_ast = ast.parse(source)
    except SyntaxError:
        return 0
    module = cst.parse_module(source)
    ctx = FileContext("x.py", "x", ImportTable(), {}, {}, Positions(module, source, tree_ast))
    collector = Collector(ctx)
    module.visit(collector)
    ctx.positions.finish()
    assert ctx.positions.verified
    reference = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    checked = 0
    for node in _noted(module, ctx.positions.ids):
        expected = reference[node].start
        assert ctx.positions.get(node) == (expected.line, expected.column + 1), cst.Module(
            []
        ).code_for_node(node)
        checked += 1
    return checked


def _noted(module: cst.Module, ids: dict[int, tuple[str, int]]) -> list[cst.CSTNode]:
    found: list[cst.CSTNode] = []

    class Walk(cst.CSTVisitor):
        def on_visit(self, node: cst.CSTNode) -> bool:
            if id(node) in ids:
                found.append(node)
            return True

    module.visit(Walk())
    return found


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_positions_match_position_provider_on_real_files(path):
    _compare(path.read_bytes())


def test_positions_on_tricky_source():
    assert _compare(TRICKY.encode()) > 20


@settings(max_examples=40, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(hypothesmith.from_node())
def test_positions_on_generated_programs(source):
    _compare(source.encode("utf-8", "surrogatepass"))
