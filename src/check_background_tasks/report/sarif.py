"""SARIF 2.1.0 for GitHub code scanning (`github/codeql-action/upload-sarif`) and others.

- `tool.driver.rules`: every rule we know, with its metadata and the rule page
  (`rules/BGTxxx.md`, front matter removed) as `help.markdown`.
- `results`: one per finding; `partialFingerprints["checkBackgroundTasks/v1"]` is the
  baseline fingerprint (stable across line shifts); `relatedLocations` for `related`.
- Paths are relative URIs against `%SRCROOT%` (the directory the check ran in), so
  code scanning maps them onto the repository when the check ran at its root.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

from .. import __version__
from ..baseline import FINGERPRINT_KEY, fingerprints
from ..model import Finding, Location

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
LEVELS = {"error": "error", "warning": "warning", "info": "note"}
_FRONT_MATTER = re.compile(r"\A---\n.*?\n---\n+", re.DOTALL)


def _help_markdown(code: str) -> str | None:
    from ..rule_docs import page

    text = page(code)
    if text is None:
        return None
    return _FRONT_MATTER.sub("", text).strip() + "\n"


def _uri(path: str) -> str:
    return quote(path, safe="/:@!$&'()*+,;=-._~")


def _location(loc: Location, message: str | None = None, ident: int | None = None) -> dict:
    region: dict[str, Any] = {"startLine": max(1, loc.line), "startColumn": max(1, loc.column)}
    out: dict[str, Any] = {
        "physicalLocation": {
            "artifactLocation": {"uri": _uri(loc.file), "uriBaseId": "%SRCROOT%"},
            "region": region,
        }
    }
    if ident is not None:
        out["id"] = ident
    if message:
        out["message"] = {"text": message}
    return out


def _rules(docs_url: str | None) -> list[dict]:
    from ..config import rule_url
    from ..rules import RULES

    # helpUri must be an absolute URI: the default docs-url (the repository's rule pages,
    # relative) gives none; help.markdown carries the page either way.
    absolute = docs_url is not None and "://" in docs_url

    out = []
    for code, rule in sorted(RULES.items()):
        descriptor: dict[str, Any] = {
            "id": code,
            "name": rule.name,
            "shortDescription": {"text": rule.summary},
            "fullDescription": {"text": rule.summary},
            "defaultConfiguration": {
                "level": LEVELS.get(rule.severity, "warning"),
                "enabled": rule.default,
            },
            "properties": {"tags": ["background-jobs", "maintainability"]},
        }
        help_md = _help_markdown(code)
        if help_md:
            descriptor["help"] = {
                "text": f"{rule.summary} (run `check-background-tasks rule {code}`)",
                "markdown": help_md,
            }
        if absolute:
            assert docs_url is not None
            descriptor["helpUri"] = rule_url(docs_url, code)
        if rule.aliases:
            descriptor["properties"]["aliases"] = list(rule.aliases)
        out.append(descriptor)
    return out


def to_sarif(
    findings: Sequence[Finding],
    prints: Sequence[str] | None = None,
    baseline_state: str | None = None,
    docs_url: str | None = None,
) -> str:
    """SARIF log for `findings` (already sorted). `prints`: their fingerprints, when the
    caller already computed them over a larger set (baselines); `baseline_state`: "new"
    when a baseline filtered the findings."""
    rules = _rules(docs_url)
    index = {rule["id"]: i for i, rule in enumerate(rules)}
    if prints is None:
        prints = fingerprints(findings)
    results = []
    for finding, fp in zip(findings, prints, strict=True):
        result: dict[str, Any] = {
            "ruleId": finding.code,
            "level": LEVELS.get(finding.severity, "warning"),
            "message": {"text": finding.message},
            "locations": [_location(finding.location)],
            "partialFingerprints": {FINGERPRINT_KEY: fp},
        }
        if finding.code in index:
            result["ruleIndex"] = index[finding.code]
        if finding.related:
            result["relatedLocations"] = [
                _location(loc, f"also declared at {loc.file}:{loc.line}", i)
                for i, loc in enumerate(finding.related, start=1)
            ]
        if baseline_state:
            result["baselineState"] = baseline_state
        results.append(result)
    log = {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "check-background-tasks",
                        "version": __version__,
                        "semanticVersion": __version__,
                        "rules": rules,
                    }
                },
                "originalUriBaseIds": {
                    "%SRCROOT%": {"description": {"text": "The directory the check ran in."}}
                },
                "columnKind": "unicodeCodePoints",
                "results": results,
            }
        ],
    }
    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"
