"""Whether a configuration switch is on in a process's environment (deploy stage).

Apart from extract/switches.py, which finds the switches in source code: a cached run
decides the processes' switches without importing the extractors.
"""

from __future__ import annotations

from .model import Switch


def state(switch: Switch, env: dict[str, str]) -> tuple[bool, str, str] | None:
    """(on?, variable, value) when `env` sets the variable the switch reads, and its value
    decides; None when it is not set there or cannot be read."""
    for name in dict.fromkeys((switch.name, switch.name.upper())):
        value = env.get(name)
        if value is None:
            continue
        if "$" in value:
            return None  # interpolated at run time
        on = _value_holds(switch, value)
        if on is None:
            return None
        return on != switch.negated, name, value
    return None


TRUE_WORDS = frozenset({"1", "true", "yes", "on", "y", "t"})
FALSE_WORDS = frozenset({"0", "false", "no", "off", "n", "f", "", "none"})


def _value_holds(switch: Switch, value: str) -> bool | None:
    if switch.how == "raw":
        return value != ""
    if switch.how == "equals":
        if switch.fold:
            return value.lower() in {v.lower() for v in switch.values}
        return value in switch.values
    if switch.how == "words":
        word = value.strip().lower()
        if word in TRUE_WORDS or (word.isdigit() and int(word) != 0):
            return True
        if word in FALSE_WORDS:
            return False
    return None
