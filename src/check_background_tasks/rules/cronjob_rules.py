"""Kubernetes CronJobs as deployed: BGT010 (policy), BGT011 (overlapping runs), BGT012
(unbounded runs).

The rules read ``k8s_cronjob`` jobs: the rendered objects of kustomize overlays and Helm
charts (one per environment) or, for a file no renderer owns, the file read alone (see
``deploy/objects.py`` and ``extract/manifest_objects.py``). A value the template engine
decides is ``"<templated>"`` (unknown) and is never reported as missing; ``None`` means
absent from what is deployed. A suspended CronJob never runs and is not judged, nor
one whose schedule names a date that never comes (`0 0 30 2 *`: run by hand only).

One claim about one place is reported once: a gap that every overlay inherits from its
base is reported at the base, naming the environments; a value a patch or a values entry
sets is reported where it is set.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace

from ..config import Config
from ..link import LinkedJob, Project
from ..model import TEMPLATED, Finding, Location
from ..schedule_gaps import DAY, min_gap_seconds
from .registry import Rule, rule

SAFE_POLICIES = ("Forbid", "Replace")
RARE_OVERLAP = 6 * 3600.0  # seconds between runs from which an overlap is unusual
# ... or, when no activeDeadlineSeconds stops a run, from which a run that long is most
# likely hung: BGT012 reports that gap on the same CronJob, and is what to fix first
LIKELY_HUNG = 3 * 3600.0
MAX_NAMED_ENVIRONMENTS = 4


def _cronjobs(project: Project) -> Iterator[tuple[LinkedJob, dict]]:
    from .cron_shape import run_by_hand

    for linked in project.jobs:
        if linked.job.kind == "k8s_cronjob":
            extra = dict(linked.job.extra)
            # a suspended CronJob never starts a run, nor one whose date never comes: no
            # run overlaps the next tick, none piles up (one started by hand is a Job)
            if extra.get("suspend") is not True and not run_by_hand(linked.job):
                yield linked, extra


# Where a message names its CronJob. One template or base deployed to several
# environments is one claim, though a release may name each copy differently
# (`production-sync`, `staging-sync`): the label lists every name.
LABEL = "\x00label\x00"


MAX_NAMES = 3


def _label(names: set[str]) -> str:
    if not names:
        return "CronJob"
    ordered = sorted(names)
    shown = " / ".join(f"'{name}'" for name in ordered[:MAX_NAMES])
    if len(ordered) > MAX_NAMES:
        shown += f" and {len(ordered) - MAX_NAMES} more"
    return f"CronJob {shown}"


def _basis(linked: LinkedJob, extra: dict, *more: str) -> str:
    namespace = extra.get("namespace")
    namespace = namespace if isinstance(namespace, str) and namespace != TEMPLATED else ""
    return "|".join(("k8s_cronjob", namespace, linked.job.name or "", *more))


def _short(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def duration(seconds: float) -> str:
    """`90` → "1.5 minutes", `7200` → "2 hours", `86400` → "1 day"."""
    for unit, size in (("day", DAY), ("hour", 3600.0), ("minute", 60.0)):
        if seconds >= size:
            amount = seconds / size
            text = f"{amount:g}" if amount == int(amount) else f"{amount:.1f}"
            return f"{text} {unit}{'' if text == '1' else 's'}"
    return f"{seconds:g} seconds"


@dataclass
class _Claim:
    """One finding about one place, with every environment where it holds."""

    message: str
    location: Location
    basis: str
    severity: str
    target: str  # what the CronJob runs: copies of one job run the same
    environments: set[str] = field(default_factory=set)
    names: set[str] = field(default_factory=set)
    everywhere: bool = False  # also true of a copy read alone (no environment)


class Claims:
    def __init__(self, rule: Rule, project: Project) -> None:
        self.rule = rule
        self.project = project
        self.claims: dict[tuple[Location, str], _Claim] = {}

    def add(
        self, linked: LinkedJob, message: str, location: Location, basis: str, severity: str
    ) -> None:
        key = (location, message)
        claim = self.claims.get(key)
        if claim is None:
            target = linked.job.target or ""
            claim = self.claims[key] = _Claim(message, location, basis, severity, target)
        if linked.job.name:
            claim.names.add(linked.job.name)
        environment = dict(linked.job.extra).get("environment")
        if isinstance(environment, str) and environment:
            claim.environments.add(environment)
        else:
            claim.everywhere = True
        if severity == "warning":
            claim.severity = "warning"  # the strongest reason among the copies

    def findings(self) -> Iterator[Finding]:
        # Copies of one CronJob in several files (a manifest copied per cluster, a
        # generated snapshot of a base) with the same gap are one claim: reported once, at
        # the first copy, with the others beside it.
        copies: dict[tuple[str, str, Location | None], list[_Claim]] = {}
        suppressed = _suppressed_lines(self.project, self.rule)
        for claim in self.claims.values():
            text = claim.message.replace(LABEL, _label(claim.names))
            # a copy silenced at its own line stays apart, so it silences no other copy
            where = (claim.location.file, claim.location.line)
            alone = claim.location if where in suppressed else None
            copies.setdefault((text, claim.target, alone), []).append(claim)
        for (text, _target, _alone), group in copies.items():
            group.sort(key=lambda claim: claim.location)
            first, others = group[0], group[1:]
            for other in others:
                first.environments |= other.environments
                first.everywhere = first.everywhere or other.everywhere
                if other.severity == "warning":
                    first.severity = "warning"
            finding = self.rule.finding(
                text + _where_deployed(first) + _copies(others),
                first.location,
                related=[other.location for other in others],
                basis=first.basis,
            )
            if first.severity != finding.severity:
                finding = replace(finding, severity=first.severity)
            yield finding


def _suppressed_lines(project: Project, rule: Rule) -> set[tuple[str, int]]:
    """(file, line) where a comment or annotation silences this rule."""
    names = {rule.code, *rule.aliases}
    out = {(ff.path, s.line) for ff in project.facts for s in ff.suppressions if names & s.codes}
    for linked in project.jobs:
        ignore = dict(linked.job.extra).get("ignore") or ()
        if names & {str(code).upper() for code in ignore}:
            out.add((linked.job.location.file, linked.job.location.line))
    return out


def _copies(others: list[_Claim]) -> str:
    if not others:
        return ""
    shown = ", ".join(f"{o.location.file}:{o.location.line}" for o in others[:MAX_NAMES])
    if len(others) > MAX_NAMES:
        shown += f" and {len(others) - MAX_NAMES} more"
    noun = "copy" if len(others) == 1 else "copies"
    return f"; the same in {len(others)} other {noun}: {shown}"


def _where_deployed(claim: _Claim) -> str:
    named = sorted(claim.environments)
    if not named or claim.everywhere:
        return ""
    shown = ", ".join(named[:MAX_NAMED_ENVIRONMENTS])
    if len(named) > MAX_NAMED_ENVIRONMENTS:
        shown += f" and {len(named) - MAX_NAMED_ENVIRONMENTS} more"
    noun = "environment" if len(named) == 1 else "environments"
    return f" (deployed in {noun} {shown})"


def _limits_gap(extra: dict) -> str:
    """`resources.limits (container 'a', init container 'b')`, as far as names are known."""
    parts = []
    names = [n for n in extra.get("containers_without_limits") or [] if n]
    if names:
        noun = "container" if len(names) == 1 else "containers"
        parts.append(f"{noun} " + ", ".join(f"'{n}'" for n in names))
    init = [n for n in extra.get("init_containers_without_limits") or [] if n]
    if init:
        noun = "init container" if len(init) == 1 else "init containers"
        parts.append(f"{noun} " + ", ".join(f"'{n}'" for n in init))
    return f"resources.limits ({', '.join(parts)})" if parts else "resources.limits"


def _defaulted(linked: LinkedJob, extra: dict, project: Project) -> bool:
    """Does a LimitRange give this CronJob's containers default limits?"""
    if not project.limit_ranges:
        return False
    from ..deploy.limit_ranges import defaults_apply

    namespace = extra.get("namespace")
    namespace = namespace if isinstance(namespace, str) and "{{" not in namespace else None
    environment = extra.get("environment")
    environment = environment if isinstance(environment, str) else None
    found = defaults_apply(project.limit_ranges, namespace, environment, linked.job.location.file)
    return found is not None


# CronJob API versions no supported cluster serves (batch/v1beta1 went in Kubernetes 1.25,
# batch/v2alpha1 long before): such a manifest cannot be applied as it is.
REMOVED_APIS = ("batch/v1beta1", "batch/v2alpha1")


def _removed_api(extra: dict) -> str | None:
    api = extra.get("api_version")
    return api if isinstance(api, str) and api.strip() in REMOVED_APIS else None


def _unservable(
    message: str, severity: str, extra: dict, linked: LinkedJob | None = None
) -> tuple[str, str]:
    """A CronJob in an API version no current cluster serves: when no overlay or chart
    deploys it (a manifest left from before 1.25, cloud-automation), what it lacks is worth
    knowing when it is moved to batch/v1, not a failed build now; when one does (an old
    cluster, or one about to refuse it), the finding stands and says that too. Nor is one
    the application fills in and creates at run time a failed build."""
    if linked is not None and _filled_at_run_time(linked):
        note = (
            " (its name and schedule are filled in at run time: a template the application"
            " renders, whose runs this file alone does not decide)"
        )
        return message + note, "info"
    api = _removed_api(extra)
    if api is None:
        return message, severity
    environment = extra.get("environment")
    if isinstance(environment, str) and environment:
        return message + f"; move it from {api} to batch/v1 as well (removed in 1.25)", severity
    note = (
        f" (its apiVersion {api} is served by no Kubernetes since 1.25, so it cannot be"
        " applied as written: move it to batch/v1, or delete it if nothing deploys it)"
    )
    return message + note, "info"


# `{{ id }}`, `{{ crawl.id|lower }}`: a placeholder an application fills (Jinja, str.format
# style), not Helm's `{{ .Release.Name }}` nor a Go function call (`{{ include "x" . }}`).
_APP_PLACEHOLDER = re.compile(r"\{\{-?\s*[A-Za-z_][\w.]*\s*(?:\|\s*\w+\s*)*-?\}\}")


def _filled_at_run_time(linked: LinkedJob) -> bool:
    """A CronJob whose name and schedule are both an application's placeholders (a Jinja
    template the backend renders and applies, one object per user request): what it
    lacks is worth a word, since what it is deployed as is decided elsewhere."""
    job = linked.job
    schedule = job.schedule.text if job.schedule is not None else ""
    return all(
        text and _APP_PLACEHOLDER.fullmatch(text.strip()) for text in (job.name or "", schedule)
    )


def _at(linked: LinkedJob, field_name: str) -> Location:
    """Where a finding about one field points: the patch or values entry that set it,
    else the object itself."""
    return linked.field_locations.get(field_name, linked.job.location)


# --------------------------------------------------------------------------- BGT010


@rule(
    "BGT010",
    "kubernetes-cronjob",
    "warning",
    "a Kubernetes CronJob exists in a project whose policy is in-app scheduling",
    default=False,
)
def kubernetes_cronjob(self: Rule, project: Project, config: Config) -> Iterator[Finding]:
    # Off by default; `allow-kubernetes-cronjobs = false` switches it on (checker's
    # ENABLED_BY_SETTING), as does select/extend-select. Whenever it runs, it reports.
    if config.allow_kubernetes_cronjobs:
        way_out = "or deselect BGT010"
    else:
        way_out = "or set allow-kubernetes-cronjobs = true"
    claims = Claims(self, project)
    for linked, extra in _cronjobs(project):
        command = linked.job.target or ""
        runs = f" runs `{_short(command)}`" if command else ""
        claims.add(
            linked,
            f"{LABEL}{runs} outside the application's scheduler, against this "
            "project's in-app scheduling policy (it bypasses the app's locks and can duplicate "
            "an in-app job); move it into the app's scheduler behind a distributed lock (e.g. "
            f"locked_scheduler) {way_out}",
            linked.job.location,
            _basis(linked, extra),
            self.severity,
        )
    yield from claims.findings()


# --------------------------------------------------------------------------- BGT011


@rule(
    "BGT011",
    "cronjob-concurrency-policy",
    "warning",
    "a CronJob has no concurrencyPolicy: Forbid (or Replace)",
)
def cronjob_concurrency_policy(self: Rule, project: Project, config: Config) -> Iterator[Finding]:
    claims = Claims(self, project)
    for linked, extra in _cronjobs(project):
        policy = extra.get("concurrency_policy")
        if policy == TEMPLATED or policy in SAFE_POLICIES:
            continue
        gap = min_gap_seconds(linked.job.schedule)
        deadline = extra.get("active_deadline_seconds")
        if isinstance(deadline, int) and not isinstance(deadline, bool) and gap and deadline < gap:
            continue  # every run is stopped before the next one starts: no overlap
        if policy is None:
            what = "has no concurrencyPolicy, so it defaults to Allow"
            location = _at(linked, "object")
        elif policy == "Allow":
            what = "has concurrencyPolicy: Allow"
            location = _at(linked, "concurrency_policy")
        else:
            what = f"has concurrencyPolicy: {policy!r}, which is not Allow, Forbid or Replace"
            location = _at(linked, "concurrency_policy")
        longer = (
            f"takes longer than {duration(gap)}" if gap is not None else "outlasts the interval"
        )
        # A run that outlasts six hours or more is rare (and a hung one is BGT012's):
        # worth knowing, not failing a build.
        severity = "info" if gap is not None and gap >= RARE_OVERLAP else "warning"
        hung = ""
        unbounded = deadline is None and not extra.get("run_time_capped_by")
        if severity == "warning" and gap is not None and gap >= LIKELY_HUNG and unbounded:
            severity = "info"
            hung = " (a run that long is most likely hung: activeDeadlineSeconds, BGT012, stops it)"
        message, severity = _unservable(
            f"{LABEL} {what}: a run that {longer} overlaps the next one and both work "
            f"on the same data; set concurrencyPolicy: Forbid (or Replace){hung}",
            severity,
            extra,
            linked,
        )
        claims.add(linked, message, location, _basis(linked, extra), severity)
    yield from claims.findings()


# --------------------------------------------------------------------------- BGT012

_HUNG_RUN = {
    "Forbid": "a hung run is never stopped, and Forbid then skips every later run",
    "Allow": "a hung run is never stopped, and every tick starts another one beside it",
    None: "a hung run is never stopped, and every tick starts another one beside it",
}
_LATE_START = (
    "a run that could not start on time (the controller was down, or Forbid held it back) "
    "starts whenever it can, however late"
)


@rule(
    "BGT012",
    "cronjob-missing-limits",
    "warning",
    "a CronJob lacks startingDeadlineSeconds, activeDeadlineSeconds, or container resource limits",
)
def cronjob_missing_limits(self: Rule, project: Project, config: Config) -> Iterator[Finding]:
    claims = Claims(self, project)
    for linked, extra in _cronjobs(project):
        missing: list[str] = []
        why: list[str] = []
        policy = extra.get("concurrency_policy")
        gap = min_gap_seconds(linked.job.schedule)
        # Replace stops a run still going at the next tick: soon enough for a frequent job,
        # not for a daily or weekly one (a hung backup runs for a week and alerts nobody).
        replaced_soon = policy == "Replace" and gap is not None and gap < RARE_OVERLAP
        if (
            extra.get("active_deadline_seconds") is None
            and not replaced_soon
            and not extra.get("run_time_capped_by")
        ):
            missing.append("activeDeadlineSeconds")
            if policy == "Replace":
                later = f", {duration(gap)} later" if gap is not None else ""
                why.append(f"a hung run goes on until the next tick replaces it{later}")
            else:
                why.append(_HUNG_RUN.get(policy, "a hung run is never stopped"))
        if extra.get("has_resource_limits") is False and not _defaulted(linked, extra, project):
            missing.append(_limits_gap(extra))
            why.append("one run can starve its node")
        serious = bool(missing)
        if extra.get("starting_deadline_seconds") is None:
            missing.append("startingDeadlineSeconds")
            why.append(_LATE_START)
        if not missing:
            continue
        listed = missing[0] if len(missing) == 1 else ", ".join(missing[:-1]) + f" or {missing[-1]}"
        message, severity = _unservable(
            f"{LABEL} has no {listed}: {'; '.join(why)}; "
            f"set {'it' if len(missing) == 1 else 'them'}",
            # Only a late start at stake: worth knowing, not failing a build.
            self.severity if serious else "info",
            extra,
            linked,
        )
        claims.add(
            linked, message, _at(linked, "object"), _basis(linked, extra, *missing), severity
        )
    yield from claims.findings()
