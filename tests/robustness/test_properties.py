"""Property tests: whatever the bytes, extraction returns facts or a BGT900 problem.

The CI run is short (a few hundred examples); a long run is
`HYPOTHESIS_PROFILE=long python -m pytest tests/robustness -q`.
"""

from __future__ import annotations

import os

import hypothesmith
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from check_background_tasks.extract import extract
from check_background_tasks.model import FileFacts

settings.register_profile(
    "ci",
    max_examples=150,
    deadline=None,
    database=None,
    derandomize=True,  # the same examples every CI run; the long profile explores
    suppress_health_check=list(HealthCheck),
)
settings.register_profile(
    "long",
    max_examples=20_000,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

KEYWORD_PREFIX = b"import asyncio\nasyncio.create_task(x())\n"


def _valid(facts: FileFacts) -> bool:
    return isinstance(facts, FileFacts) and all(p.message for p in facts.problems)


@settings(max_examples=int(os.environ.get("HYPOTHESMITH_EXAMPLES", "40")))
@given(hypothesmith.from_grammar())
def test_any_grammatical_program(source: str) -> None:
    facts = extract("gen.py", KEYWORD_PREFIX + source.encode("utf-8", "surrogatepass"), "gen")
    assert _valid(facts)


@settings(max_examples=int(os.environ.get("HYPOTHESMITH_EXAMPLES", "40")))
@given(hypothesmith.from_node())
def test_any_valid_program(source: str) -> None:
    facts = extract("gen.py", source.encode("utf-8", "surrogatepass"), "gen")
    assert _valid(facts)
    assert not facts.problems or "syntax" not in facts.problems[0].message


@given(st.binary(max_size=2000))
def test_any_bytes_as_python(data: bytes) -> None:
    assert _valid(extract("gen.py", KEYWORD_PREFIX + data, "gen"))


@given(st.binary(max_size=2000))
def test_any_bytes_as_yaml(data: bytes) -> None:
    assert _valid(extract("gen.yaml", b"kind: CronJob\n" + data))


_scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=20))
_yaml_values = st.recursive(
    _scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(st.text(max_size=12), children, max_size=5)
    ),
    max_leaves=30,
)


@given(_yaml_values, st.sampled_from(["CronJob", "Deployment", "List", "HorizontalPodAutoscaler"]))
def test_random_yaml_documents(spec: object, kind: str) -> None:
    import yaml

    doc = {"apiVersion": "batch/v1", "kind": kind, "metadata": {"name": "x"}, "spec": spec}
    source = yaml.safe_dump(doc).encode()
    assert _valid(extract("gen.yaml", source))
