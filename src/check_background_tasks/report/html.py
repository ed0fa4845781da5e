"""`report`: one self-contained HTML page (inline CSS, JS and SVG; no network).

Every string that comes from the scanned repository goes through `esc` (text and
attributes) or `_json_script` (data for the tooltips), so a job named ``<script>`` stays
text. The output depends only on its inputs: no clock, no randomness, sorted everything.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from datetime import timedelta
from functools import lru_cache
from html import escape
from importlib import resources
from typing import Any

from .. import __version__
from ..config import rule_url
from ..link import Project
from ..model import Finding
from ..pileups import describe, describe_environments
from ..rules import RULES
from ..rules.schedule_pileup import how_many, label, part_time
from .timeline import (
    DAY,
    Row,
    Timeline,
    Track,
    View,
    build,
    duration,
    kind_colour,
    kind_label,
)

DEFAULT_RULES_URL = "rules/"  # href = base + CODE + ".md"; --rules-url changes the base
MAX_PINS = 60  # pile-up markers drawn above the load strip per view
MAX_PILEUP_ROWS = 24
SEVERITIES = ("error", "warning", "info")
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def esc(value: object) -> str:
    return escape("" if value is None else str(value), quote=True)


@lru_cache(maxsize=4)
def _asset(name: str) -> str:
    return (
        resources.files(__package__).joinpath("assets").joinpath(name).read_text(encoding="utf-8")
    )


def _json_script(data: Any) -> str:
    """JSON that cannot end the <script> element or open a comment inside it."""
    text = json.dumps(data, ensure_ascii=True, sort_keys=True, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _pct(minute: float, minutes: int) -> str:
    value = f"{minute * 100 / minutes:.4f}".rstrip("0").rstrip(".")
    return f"{value}%"


def _num(value: float) -> str:
    return f"{value:.4f}".rstrip("0").rstrip(".")


def render(
    project: Project,
    findings: Sequence[Finding],
    *,
    threshold: int,
    title: str = "",
    rules_url: str = DEFAULT_RULES_URL,
) -> str:
    """The whole page as a string (deterministic for the same inputs)."""
    timeline = build(project, findings, threshold)
    rows = sorted(timeline.rows, key=lambda r: r.index)
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f'<meta name="generator" content="check-background-tasks {esc(__version__)}">',
        f"<title>Background tasks{esc(' — ' + title) if title else ''}</title>",
        f"<style>{_asset('report.css')}</style></head>",
        "<body><main>",
        _header(timeline, rows, findings, title),
        _timeline_section(timeline),
        _pileup_section(timeline),
        _inventory_section(rows, timeline),
        _findings_section(findings, rows, rules_url),
        '<div id="tip" role="tooltip" hidden></div>',
        "</main>",
        f'<script type="application/json" id="bgt-data">{_json_script(_data(timeline))}</script>',
        f"<script>{_asset('report.js')}</script>",
        "</body></html>",
        "",
    ]
    return "\n".join(parts)


# --------------------------------------------------------------------------- header


def _header(timeline: Timeline, rows: list[Row], findings: Sequence[Finding], title: str) -> str:
    periodic = sum(1 for r in rows if r.job.periodic and r.job.schedule is not None)
    unlocked = sum(1 for r in rows if r.unlocked)
    piles = timeline.piles
    top = max(piles, key=lambda g: g.stretches[0].peak, default=None)
    stats = [
        ("jobs", len(rows), "", "every job found"),
        ("scheduled", periodic, "", "jobs with a schedule"),
        (
            "unlocked",
            unlocked,
            "warn" if unlocked else "",
            "jobs without a lock, run in every process that starts their scheduler (BGT020)",
        ),
        ("duplicate groups", len(timeline.groups), "bad" if timeline.groups else "", ""),
        (
            "pile-ups",
            len(piles),
            "bad" if piles else "",
            f"{how_many(top.stretches[0])}, {describe(top.stretches[0])}" if top else "",
        ),
        ("findings", len(findings), "bad" if findings else "", ""),
    ]
    cards = "".join(
        f'<div class="{f"stat {cls}" if cls else "stat"}" data-stat="{esc(name)}">'
        f"<b>{value}</b><span>{esc(name)}</span>"
        f"{f'<small>{esc(hint)}</small>' if hint else ''}</div>"
        for name, value, cls, hint in stats
    )
    start = timeline.start
    where = f'<p class="sub">{esc(title)}</p>' if title else ""
    return (
        "<header><h1>Background tasks</h1>"
        f"{where}"
        f'<p class="sub">Reference {"week" if len(timeline.views) > 1 else "day"}: '
        f"{esc(start.strftime('%A %Y-%m-%d'))}, all times UTC (a job's own time zone is "
        "honoured). Interval jobs are drawn from 00:00, as if the app started then.</p>"
        f'<div class="stats">{cards}</div></header>'
    )


def _when(timeline: Timeline, minute: int) -> str:
    moment = timeline.start + timedelta(minutes=minute)
    return moment.strftime("%a %H:%M") + " UTC"


# --------------------------------------------------------------------------- timeline


def _legend(rows: list[Row]) -> str:
    kinds = sorted({r.job.kind for r in rows}, key=lambda k: (kind_label(k).lower(), k))
    items = "".join(
        f'<span class="key" style="--c:{kind_colour(k)}"><i></i>{esc(kind_label(k))}</span>'
        for k in kinds
    )
    extra = (
        '<span class="key"><i class="band"></i>band: fires every few minutes or faster</span>'
        '<span class="key"><em class="badge b-unlocked">no lock</em>in-app job that every '
        "replica runs (BGT020)</span>"
        '<span class="key"><em class="badge b-dup">A</em>same job scheduled more than once</span>'
    )
    return f'<div class="legend">{items}{extra}</div>'


def _timeline_section(timeline: Timeline) -> str:
    views = timeline.views
    switch = ""
    if len(views) > 1:
        switch = (
            '<input type="radio" name="view" id="pick-day" checked>'
            '<input type="radio" name="view" id="pick-week">'
            '<div class="switch"><label for="pick-day">24 hours</label>'
            '<label for="pick-week">7 days</label></div>'
        )
    body = "".join(_view(timeline, view) for view in views)
    return (
        '<section class="card" id="timeline"><h2>When jobs fire</h2>'
        f'{_legend(timeline.rows)}{switch}<div class="views">{body}</div></section>'
    )


def _axis(view: View) -> str:
    ticks = []
    if view.minutes == DAY:
        for hour in range(0, 24):
            label = f"{hour:02d}:00" if hour % 3 == 0 else ""
            ticks.append(f'<span style="left:{_pct(hour * 60, DAY)}">{label}</span>')
    else:
        for day in range(view.minutes // DAY):
            ticks.append(
                f'<span style="left:{_pct(day * DAY, view.minutes)}">{WEEKDAYS[day]}</span>'
            )
    return (
        '<div class="row axis"><div class="label"></div>'
        f'<div class="ticks">{"".join(ticks)}</div></div>'
    )


def _view(timeline: Timeline, view: View) -> str:
    rows = "".join(_row(row, view) for row in timeline.rows)
    guides = "".join(
        f'<i style="left:{_pct(minute, view.minutes)}"></i>'
        for minute, _ in view.pileups[: MAX_PINS * 4]
    )
    grid = "grid-day" if view.minutes == DAY else "grid-week"
    return (
        f'<div class="view view-{view.key} {grid}" data-view="{view.key}" '
        f'data-minutes="{view.minutes}">'
        f"{_axis(view)}"
        f'<div class="rows">{rows}<div class="guides">{guides}</div></div>'
        f"{_load_strip(timeline, view)}</div>"
    )


def _badges(row: Row) -> str:
    out = ""
    if row.group:
        out += f'<em class="badge b-dup" title="duplicate group {row.group}">{row.group}</em>'
    if row.unlocked:
        out += '<em class="badge b-unlocked">no lock</em>'
    return out


def _hint(row: Row) -> str:
    sched = row.job.schedule
    if sched is None:
        return ""
    if sched.cron:
        text = sched.cron
    elif sched.interval_seconds:
        text = f"every {duration(float(sched.interval_seconds))}"
    else:
        text = sched.text
    if sched.timezone:
        text += f" {sched.timezone}"
    return f'<small class="hint" title="{esc(text)}">{esc(text)}</small>'


def _row(row: Row, view: View) -> str:
    job = row.job
    track = row.tracks.get(view.key) or Track()
    classes = ["row", "job"]
    if row.group:
        classes.append("dup")
    if row.unlocked:
        classes.append("unlocked")
    shapes = [
        f'<rect class="band" x="{_pct(a, view.minutes)}" y="6" '
        f'width="{_pct(b - a, view.minutes)}" height="12" rx="2"/>'
        for a, b in track.bands
    ]
    shapes += [
        f'<line class="mark" x1="{p}" x2="{p}" y1="4" y2="20" data-m="{_num(m)}"/>'
        for m in track.marks
        for p in (_pct(m, view.minutes),)
    ]
    if shapes:
        body = f'<svg class="track" aria-hidden="true">{"".join(shapes)}</svg>'
        if track.bands:
            body += f'<span class="note over">{esc(row.note)}</span>'
    else:
        body = f'<span class="note">{esc(row.note)}</span>'
    group = f' data-group="{row.group}"' if row.group else ""
    return (
        f'<div class="{" ".join(classes)}" data-job="{row.index}"{group} '
        f'style="--c:{kind_colour(job.kind)}">'
        f'<div class="label"><i class="dot"></i><span class="name">{esc(row.label)}</span>'
        f"{_badges(row)}{_hint(row)}</div>"
        f'<div class="lane">{body}</div></div>'
    )


def _load_strip(timeline: Timeline, view: View) -> str:
    top = max(view.peak, timeline.threshold + 1)
    outline = ["M0 100"]
    cursor = 0
    for first, length, count in view.load:
        if first > cursor:
            outline.append(f"V100H{first}")
        outline.append(f"V{_num(100 - count * 100 / top)}H{first + length}")
        cursor = first + length
    bars = [f'<path class="bars" d="{"".join(outline)}V100Z"/>']
    wide = max(1, view.minutes // 480)
    for minute, rows in view.pileups:
        count = len(rows)
        bars.append(
            f'<rect class="pileup" data-minute="{minute}" data-count="{count}" '
            f'x="{minute}" y="{_num(100 - count * 100 / top)}" width="{wide}" '
            f'height="{_num(count * 100 / top)}"/>'
        )
    line_y = _num(100 - timeline.threshold * 100 / top)
    pins = ""
    if len(view.pileups) <= MAX_PINS:
        pins = "".join(
            f'<span class="pin" style="left:{_pct(minute, view.minutes)}" '
            f'data-minute="{minute}" title="{esc(_when(timeline, minute))}: '
            f'{len(rows)} jobs">{len(rows)}</span>'
            for minute, rows in view.pileups
        )
    where = " in the busiest environment" if view.environments > 1 else ""
    caption = (
        f"jobs per minute{where} · peak {view.peak} · threshold {timeline.threshold}"
        if view.load
        else "no scheduled fires"
    )
    return (
        f'<div class="row load" data-threshold="{timeline.threshold}">'
        f'<div class="label"><span class="name">Load</span><small>{esc(caption)}</small></div>'
        f'<div class="lane"><div class="pins">{pins}</div>'
        f'<svg class="strip" viewBox="0 0 {view.minutes} 100" preserveAspectRatio="none" '
        f'role="img" aria-label="jobs firing per minute">'
        f'{"".join(bars)}<line class="limit" x1="0" x2="{view.minutes}" y1="{line_y}" '
        f'y2="{line_y}"/></svg></div></div>'
    )


# --------------------------------------------------------------------------- pile-ups


def _pileup_section(timeline: Timeline) -> str:
    """One row per BGT033 finding: when (over the reference year), how many, which jobs."""
    piles = timeline.piles
    if not piles:
        return ""
    jobs = timeline.jobs
    items = []
    for group in piles[:MAX_PILEUP_ROWS]:
        first = jobs[group.first].location
        whens = "".join(
            f"<div>{esc(describe(stretch))}{esc(describe_environments(stretch))}</div>"
            for stretch in group.stretches[:3]
        )
        if len(group.stretches) > 3:
            whens += f'<div class="sub">… and {len(group.stretches) - 3} more</div>'
        main = group.stretches[0]
        steady = set(main.steady())
        # As the finding words it: the jobs in it every day first, then those that join it
        # on some days, with those days.
        names = [label(jobs[i]) for i in group.jobs if i in steady or i not in main.jobs]
        names += [part_time(main, i, jobs) for i in main.jobs if i not in steady]
        items.append(
            f'<tr data-first="{esc(first.file)}:{first.line}"><td>{whens}</td>'
            f'<td class="num">{esc(how_many(main).removesuffix(" jobs"))}</td>'
            f"<td>{esc(', '.join(names))}</td></tr>"
        )
    more = len(piles) - MAX_PILEUP_ROWS
    tail = f'<p class="sub">… and {more} more pile-ups.</p>' if more > 0 else ""
    return (
        '<section class="card" id="pileups">'
        f"<h2>Pile-ups <small>{len(piles)} (BGT033): more than {timeline.threshold} jobs in "
        "one minute, over a real calendar year</small></h2>"
        '<table class="plain"><thead><tr><th>when</th><th>jobs</th><th>which</th></tr>'
        f"</thead><tbody>{''.join(items)}</tbody></table>{tail}</section>"
    )


# --------------------------------------------------------------------------- inventory

COLUMNS = ("kind", "name", "target", "schedule", "cron", "every", "time zone", "lock", "declared")


def _lock_cell(row: Row) -> tuple[str, str]:
    job = row.job
    if job.locked is None:
        return "", "-"
    if job.locked:
        return "yes", esc(f"yes ({job.lock_key})" if job.lock_key else "yes")
    if row.unlocked:  # the badge only where check reports it (BGT020)
        return "no", '<em class="badge b-unlocked">no lock</em>'
    return "no", "no"


def _inventory_section(rows: list[Row], timeline: Timeline) -> str:
    head = "".join(
        f'<th scope="col"><button type="button" data-col="{i}">{esc(c)}</button></th>'
        for i, c in enumerate(COLUMNS)
    )
    body = []
    for row in rows:
        job = row.job
        rec = job.record()
        seconds = rec["interval_seconds"]
        lock_key, lock_html = _lock_cell(row)
        where = f"{job.location.file}:{job.location.line}"
        cells = [
            (
                kind_label(job.kind),
                f'<i class="dot"></i>{esc(kind_label(job.kind))}',
            ),
            (row.label if job.name else "", f"{esc(job.name or '')}{_badges_table(row)}"),
            (job.target or "", f"<code>{esc(job.target or '')}</code>"),
            (rec["schedule"] or "", esc(rec["schedule"] or "")),
            (rec["cron"] or "", f"<code>{esc(rec['cron'] or '')}</code>"),
            ("" if seconds is None else f"{float(seconds):020.6f}", esc(_every(seconds))),
            (rec["timezone"] or "", esc(rec["timezone"] or "")),
            (lock_key, lock_html),
            (f"{job.location.file}\0{job.location.line:09d}", f"<code>{esc(where)}</code>"),
        ]
        tds = "".join(f'<td data-sort="{esc(key)}">{html}</td>' for key, html in cells)
        body.append(
            f'<tr id="job-{row.index}" data-job="{row.index}" '
            f'style="--c:{kind_colour(job.kind)}">{tds}</tr>'
        )
    return (
        '<section class="card" id="inventory"><h2>Inventory '
        f"<small>{len(rows)} jobs</small></h2>"
        '<div class="tools"><input type="search" id="filter" placeholder="Filter jobs '
        '(name, target, file, kind …)" aria-label="Filter jobs">'
        f'<span id="shown">{len(rows)} of {len(rows)} jobs</span></div>'
        f'<div class="scroll"><table id="jobs" class="sortable"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table></div></section>"
    )


def _badges_table(row: Row) -> str:
    return f' <em class="badge b-dup">{row.group}</em>' if row.group else ""


def _every(seconds: float | None) -> str:
    return "" if seconds is None else duration(float(seconds))


# --------------------------------------------------------------------------- findings


def _findings_section(findings: Sequence[Finding], rows: list[Row], rules_url: str) -> str:
    if not findings:
        return (
            '<section class="card" id="findings"><h2>Findings</h2>'
            '<p class="sub">No findings.</p></section>'
        )
    jobs_at = {(r.job.location.file, r.job.location.line): r.index for r in rows}
    grouped: dict[str, list[Finding]] = defaultdict(list)
    for finding in findings:
        grouped[finding.code].append(finding)
    blocks = []
    for code in sorted(grouped):
        items = grouped[code]
        rule = RULES.get(code)
        name = items[0].name
        severity = items[0].severity
        summary = f'<p class="sub">{esc(rule.summary)}</p>' if rule else ""
        entries = "".join(_finding(f, jobs_at) for f in items)
        blocks.append(
            f'<div class="rule" id="rule-{esc(code)}" data-code="{esc(code)}">'
            f'<h3><a class="code" href="{esc(rule_url(rules_url, code))}">{esc(code)}</a> '
            f'{esc(name)} <em class="sev sev-{esc(severity)}">{esc(severity)}</em> '
            f'<span class="count">{len(items)}</span></h3>{summary}<ul>{entries}</ul></div>'
        )
    return (
        '<section class="card" id="findings"><h2>Findings '
        f"<small>{len(findings)} in {len(grouped)} rules</small></h2>{''.join(blocks)}</section>"
    )


def _finding(finding: Finding, jobs_at: dict[tuple[str, int], int]) -> str:
    loc = finding.location
    where = f"{loc.file}:{loc.line}:{loc.column}"
    index = jobs_at.get((loc.file, loc.line))
    place = f'<a href="#job-{index}">{esc(where)}</a>' if index is not None else esc(where)
    related = ""
    if finding.related:
        others = ", ".join(f"{esc(r.file)}:{r.line}" for r in finding.related)
        related = f'<div class="related">also at {others}</div>'
    return f"<li><code>{place}</code> {esc(finding.message)}{related}</li>"


# --------------------------------------------------------------------------- tooltip data


def _data(timeline: Timeline) -> dict[str, Any]:
    jobs = {}
    for row in timeline.rows:
        job = row.job
        sched = job.schedule
        lock = {None: "", True: "locked", False: "no lock"}[job.locked]
        if job.locked and job.lock_key:
            lock = f"locked ({job.lock_key})"
        if row.unlocked:
            lock = "no distributed lock: every process that starts its scheduler runs it (BGT020)"
        jobs[str(row.index)] = {
            "name": row.label,
            "kind": kind_label(job.kind),
            "colour": kind_colour(job.kind),
            "target": job.target or "",
            "schedule": sched.text if sched else "",
            "cadence": row.note,
            "next": row.next_fires,
            "where": f"{job.location.file}:{job.location.line}",
            "lock": lock,
            "group": row.group or "",
        }
    return {"weekday": timeline.start.weekday(), "jobs": jobs}
