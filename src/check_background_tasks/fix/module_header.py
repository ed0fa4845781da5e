"""Where a module-level declaration goes: after the module's docstring and imports."""

from __future__ import annotations

import libcst as cst
import libcst.matchers as m


def _is_import_line(statement: cst.BaseStatement) -> bool:
    return isinstance(statement, cst.SimpleStatementLine) and all(
        isinstance(small, (cst.Import, cst.ImportFrom)) for small in statement.body
    )


def _is_docstring(statement: cst.BaseStatement) -> bool:
    return m.matches(statement, m.SimpleStatementLine(body=[m.Expr(m.SimpleString())]))


def _only_imports(statement: cst.BaseStatement) -> bool:
    """`if TYPE_CHECKING:` / `try: import x except ImportError: ...` blocks of imports."""
    if isinstance(statement, (cst.If, cst.Try)):
        body = statement.body
        return isinstance(body, cst.IndentedBlock) and all(_is_import_line(s) for s in body.body)
    return False


def after_imports(module: cst.Module) -> int:
    """The index in `module.body` right after its leading docstring and imports."""
    index = 0
    for position, statement in enumerate(module.body):
        if _is_import_line(statement) or _only_imports(statement):
            index = position + 1
        elif position == 0 and _is_docstring(statement):
            index = 1
        else:
            break
    return index


def imports_module(module: cst.Module, name: str) -> bool:
    """Is `import name` (not aliased) at module level?"""
    for statement in module.body:
        if not isinstance(statement, cst.SimpleStatementLine):
            continue
        for small in statement.body:
            if isinstance(small, cst.Import):
                for alias in small.names:
                    if alias.asname is None and m.matches(alias.name, m.Name(name)):
                        return True
    return False


def assigns(module: cst.Module, name: str) -> bool:
    """Is `name` assigned at module level (`name = ...` or `name: T = ...`)?"""
    for statement in module.body:
        if not isinstance(statement, cst.SimpleStatementLine):
            continue
        for small in statement.body:
            if isinstance(small, cst.Assign) and any(
                m.matches(t.target, m.Name(name)) for t in small.targets
            ):
                return True
            if isinstance(small, cst.AnnAssign) and m.matches(small.target, m.Name(name)):
                return True
    return False
