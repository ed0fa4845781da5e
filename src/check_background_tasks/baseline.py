"""Fingerprints and baselines: adopt the linter on a legacy repository, fail only on new findings.

A fingerprint identifies a finding across commits. It hashes

    rule code | file path | the rule's fingerprint basis (job identity: kind, name, target …)

with every ``path:line[:col]`` and ``line N`` inside the basis reduced to the path, so it
does not move when lines are inserted above, when unrelated code changes, or when other
files are renamed. Findings that would share a fingerprint get an occurrence number
(``…:2``) in file order, as GitHub does for `primaryLocationLineHash`. The same value
fills SARIF ``partialFingerprints``.

The baseline file is JSON, written atomically:

    {"tool": "check-background-tasks", "version": 1,
     "findings": [{"fingerprint": "…", "code": "BGT020", "file": "…", "message": "…"}, …]}

Only ``fingerprint`` is read back; the other keys are there for the humans reviewing it.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from .config import ConfigError
from .model import Finding

FORMAT_VERSION = 1
TOOL = "check-background-tasks"
FINGERPRINT_KEY = "checkBackgroundTasks/v1"

_PATH_LINE = re.compile(r"((?:[\w.\-]+[/\\])*[\w\-]+\.\w+):\d+(?::\d+)?\b")
_LINE_WORD = re.compile(r"\b(line|lines|column|col)\s+\d+(?:\s*-\s*\d+)?", re.IGNORECASE)
_SPACE = re.compile(r"\s+")


def normalize_basis(basis: str) -> str:
    """Drop positions from a basis so it survives line shifts."""
    basis = _PATH_LINE.sub(r"\1", basis)
    basis = _LINE_WORD.sub(r"\1", basis)
    return _SPACE.sub(" ", basis).strip()


def fingerprints(findings: Sequence[Finding]) -> list[str]:
    """One fingerprint per finding, in the given order (sort findings first)."""
    seen: Counter[str] = Counter()
    out = []
    for finding in findings:
        basis = normalize_basis(finding.fingerprint_basis or finding.message)
        raw = f"{finding.code}\x1f{finding.location.file}\x1f{basis}"
        digest = hashlib.sha256(raw.encode("utf-8", "surrogateescape")).hexdigest()[:32]
        seen[digest] += 1
        out.append(f"{digest}:{seen[digest]}")
    return out


def to_json(findings: Sequence[Finding]) -> str:
    prints = fingerprints(findings)
    records = [
        {
            "fingerprint": fp,
            "code": f.code,
            "file": f.location.file,
            "message": f.message,
        }
        for f, fp in zip(findings, prints, strict=True)
    ]
    records.sort(key=lambda r: (r["file"], r["code"], r["fingerprint"]))
    document = {"tool": TOOL, "version": FORMAT_VERSION, "findings": records}
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def load(path: str | Path) -> set[str]:
    """The fingerprints of a baseline file; a ConfigError (exit 2) when it is unusable."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"baseline file not found: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read baseline {path}: {exc}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"baseline {path} is not valid JSON (line {exc.lineno})") from None
    if not isinstance(data, dict) or data.get("tool") != TOOL:
        raise ConfigError(f"baseline {path} is not a check-background-tasks baseline")
    if data.get("version") != FORMAT_VERSION:
        raise ConfigError(
            f"baseline {path} has format version {data.get('version')!r}; "
            f"this version reads {FORMAT_VERSION} (rewrite it with --write-baseline)"
        )
    findings = data.get("findings")
    if not isinstance(findings, list) or not all(
        isinstance(r, dict) and isinstance(r.get("fingerprint"), str) for r in findings
    ):
        raise ConfigError(f"baseline {path} is corrupt: 'findings' must be a list of records")
    return {r["fingerprint"] for r in findings}


def split(
    findings: Sequence[Finding], known: set[str]
) -> tuple[list[Finding], list[Finding], list[str]]:
    """(new findings, findings already in the baseline, fingerprints of the new ones)."""
    new, old, new_prints = [], [], []
    for finding, fp in zip(findings, fingerprints(findings), strict=True):
        if fp in known:
            old.append(finding)
        else:
            new.append(finding)
            new_prints.append(fp)
    return new, old, new_prints
