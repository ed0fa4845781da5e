"""The project's symbol table is shared while the facts are the same, and rebuilt when a
round of reading adds a file."""

from __future__ import annotations

from check_background_tasks.link import symbol_table
from check_background_tasks.model import FileFacts, FunctionFacts


def facts(module: str, function: str) -> FileFacts:
    fn = FunctionFacts(qualname=function, line=1, column=1, is_async=False)
    return FileFacts(path=f"{module}.py", module=module, functions=[fn])


def test_the_same_facts_share_a_table_and_new_facts_get_a_new_one() -> None:
    first = [facts("app.jobs", "cleanup")]
    table = symbol_table(first)
    assert symbol_table(list(first)) is table  # another list of the very same facts
    grown = [*first, facts("app.tasks", "send")]
    bigger = symbol_table(grown)
    assert bigger is not table and "app.tasks.send" in bigger.functions
    # equal content is not enough: a file read again is another file's facts
    again = [facts("app.jobs", "cleanup")]
    assert symbol_table(again) is not table
    assert "app.tasks.send" not in symbol_table(again).functions
