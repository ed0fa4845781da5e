"""What BGT020 / BGT022 / BGT023 say when the process count is not known.

The process model (deploy/processes.py) answers "many", "one" or "unknown". An unknown
count is said as such, with what could not be seen, never as "runs on every replica":

- the start passes a configuration switch (deploy/switches.py): the deployment decides
  which processes start it; the finding names the switch and is `info`;
- the repository holds no process definition that runs its code: how many processes run
  it is not stated here; `info`;
- otherwise (definitions exist but could not be tied to the code): a `warning` that says
  what the model could not read.
"""

from __future__ import annotations

from dataclasses import replace

from ..deploy.processes import Verdict
from ..deploy.switches import Gate
from ..model import Finding


def quiet(verdict: Verdict | None) -> bool:
    """An unknown count the repository leaves to the deployment: said at `info`."""
    return (
        verdict is not None
        and verdict.status == "unknown"
        and (verdict.gate is not None or bool(verdict.undeployed))
    )


def at_most_info(finding: Finding, verdict: Verdict | None) -> Finding:
    return replace(finding, severity="info") if quiet(verdict) else finding


def switch_text(gate: Gate) -> str:
    """The switch, as said: "`RUN_SCHEDULER` is set (`should_start(app)`, app/jobs.py:12)"."""
    switch = gate.switch
    if switch.how == "equals" and switch.values:
        shown = " or ".join(f"`{v}`" for v in switch.values[:3])
        state = f"is not {shown}" if switch.negated else f"is {shown}"
    elif switch.how == "opaque":
        state = "holds" if not switch.negated else "does not hold"
        return f"`{switch.text}` {state} ({switch.path}:{switch.line})"
    else:
        state = "is not set" if switch.negated else "is set"
    how = f"`{switch.text}`, " if switch.via or switch.text != switch.name else ""
    return f"`{switch.name}` {state} ({how}{switch.path}:{switch.line})"


def started_only_where(gate: Gate) -> str:
    """The gate, as said ("started only where `X` is set (...)"), and the scripts that start
    it on purpose."""
    text = f"started only where {switch_text(gate)}"
    if gate.scripts:
        scripts = " and ".join(gate.scripts[:2])
        more = f" and {len(gate.scripts) - 2} more" if len(gate.scripts) > 2 else ""
        text += f", and by the script{'s' if len(gate.scripts) > 1 else ''} {scripts}{more}"
    return text


def exactly_one(verdict: Verdict) -> str:
    """The advice for a switch, with the processes seen to set it on."""
    seen = "; ".join(verdict.switch_on[:2])
    return "make sure exactly one process sets it" + (f" ({seen})" if seen else "")


def not_stated(verdict: Verdict) -> str:
    return f"how many processes start it is not stated in this repository ({verdict.undeployed})"


def not_worked_out(verdict: Verdict | None) -> str:
    """What the model could not see, for a warning on an unknown count."""
    note = verdict.note if verdict is not None else ""
    if note:
        return f"which processes start it could not be worked out: {note}"
    if verdict is not None:
        return "none of the processes the repository defines was seen to start it"
    return "which processes start it is not known"
