"""`check-background-tasks report`: the HTML timeline.

Structure tests parse the page with the standard library; the browser test renders it
in a real headless Chromium (driven over the DevTools protocol on a pipe, no extra
package) and is skipped only when no Chromium is installed.

Screenshots go to $CI_ARTIFACTS_DIR, else <repo>/.ci/out/. With
UPDATE_DOCS_SCREENSHOT=1 the browser test also rewrites docs/report-screenshot.png.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from helpers import write_tree

from check_background_tasks import checker
from check_background_tasks.cli import main
from check_background_tasks.config import Config, load
from check_background_tasks.engine import scan
from check_background_tasks.model import Finding
from check_background_tasks.report.html import render

ROOT = Path(__file__).resolve().parents[1]
PILEUP = "fixtures/pileup-service"
SAMPLE = "fixtures/sample-service"
PILEUP_MINUTE = 120  # Mon 02:00 UTC: 9 jobs, the CronJob's 03:00 Europe/Berlin among them


# --------------------------------------------------------------------------- helpers


class Page(HTMLParser):
    """Elements as (tag, attrs) plus the text, enough for structure assertions."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.scripts: list[str] = []
        self._in_script = False
        self.text: list[str] = []
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, {k: v or "" for k, v in attrs}))
        self._in_script = tag == "script"

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.scripts.append(data)
        else:
            self.text.append(data)

    def find(self, tag: str | None = None, **attrs: str) -> list[dict[str, str]]:
        """Elements by tag and attributes (`class_` matches one class, `data_x` data-x)."""
        wanted = {k.rstrip("_").replace("_", "-"): v for k, v in attrs.items()}
        return [
            got
            for name, got in self.elements
            if (tag is None or name == tag)
            and all(
                v in got.get(k, "").split() if k == "class" else got.get(k) == v
                for k, v in wanted.items()
            )
        ]


def build(path: str, **kwargs: Any) -> tuple[str, list[dict]]:
    """The report of a fixture as `report` run from the repository root writes it."""
    text, jobs, _ = build_and_check(path, **kwargs)
    return text, jobs


def build_and_check(path: str, **kwargs: Any) -> tuple[str, list[dict], list[Finding]]:
    """The report, the inventory and what `check` reports, for the same scan."""
    before = Path.cwd()
    os.chdir(ROOT)
    try:
        config = load([path])
        project = scan([path], config, jobs=1).project
        findings = checker.run(project, config).findings
        text = render(project, findings, threshold=config.pileup_threshold, title=path, **kwargs)
    finally:
        os.chdir(before)
    return text, [lj.job.record() for lj in project.jobs], findings


def report_of(root: Path, files: dict[str, str]) -> tuple[str, list[Finding], list[dict]]:
    """The report of a small project written under `root`, run from `root`."""
    write_tree(root, files)
    before = Path.cwd()
    os.chdir(root)
    try:
        project = scan(["."], Config(), jobs=1).project
        findings = checker.run(project, Config()).findings
        text = render(project, findings, threshold=5)
    finally:
        os.chdir(before)
    return text, findings, [lj.job.record() for lj in project.jobs]


@pytest.fixture(scope="module")
def checked() -> tuple[str, list[dict], list[Finding]]:
    return build_and_check(PILEUP)


@pytest.fixture(scope="module")
def pileup(checked) -> tuple[str, list[dict]]:
    return checked[0], checked[1]


# --------------------------------------------------------------------------- structure


def test_every_job_is_a_timeline_row_and_a_table_row(pileup):
    text, jobs = pileup
    page = Page(text)
    assert len(jobs) >= 10
    for view in ("day", "week"):  # the weekly newsletter brings the 7-day view
        assert page.find("div", class_="view", data_view=view)
    rows = page.find("div", class_="job")
    assert sorted(int(r["data-job"]) for r in rows) == sorted(list(range(len(jobs))) * 2)
    table_rows = [e for e in page.find("tr") if "data-job" in e]
    assert [int(r["data-job"]) for r in table_rows] == list(range(len(jobs)))
    for job in jobs:
        assert f"{job['file']}:{job['line']}" in "".join(page.text)


def test_fixture_pileup_is_on_the_load_strip(pileup):
    text, _ = pileup
    page = Page(text)
    marked = page.find("rect", class_="pileup")
    day_minutes = {int(r["data-minute"]) for r in marked}
    assert PILEUP_MINUTE in day_minutes
    counts = {int(r["data-count"]) for r in marked if int(r["data-minute"]) == PILEUP_MINUTE}
    # 9 jobs fire at 02:00, the 30-second heartbeat among them; an interval has no known
    # phase, so the pile-up counts the 8 others, as BGT033 does.
    assert counts == {8}
    # The week view has the same pile-up every day: Mon..Sun 02:00.
    assert {m for m in day_minutes if m % 1440 == PILEUP_MINUTE} == {
        PILEUP_MINUTE + 1440 * d for d in range(7)
    }
    assert page.find("span", class_="pin", data_minute=str(PILEUP_MINUTE))
    assert "up to 8 jobs, daily at 02:00 UTC" in text  # the header, as BGT033 says it


def test_pileup_card_lists_exactly_what_bgt033_reports(checked):
    text, _, findings = checked
    reported = [f"{f.location.file}:{f.location.line}" for f in findings if f.code == "BGT033"]
    card = [tr["data-first"] for tr in Page(text).find("tr") if "data-first" in tr]
    assert card == reported and len(card) == 1
    # The card says what the finding says: when (over the year), the zone, which jobs.
    (finding,) = [f for f in findings if f.code == "BGT033"]
    assert "daily at 02:00 UTC" in finding.message
    section = text.split('id="pileups"', 1)[1].split("</section>", 1)[0]
    assert "daily at 02:00 UTC" in section and ">up to 8<" in section
    # 03:00 Europe/Berlin is 02:00 UTC in winter only: the card says so, as the message does.
    joins = "(fixtures/pileup-service/deploy/cronjob-report.yaml:1, Europe/Berlin time) on 156 "
    assert joins in section and joins in finding.message


def cronjob(name: str, schedule: str, suspend: str = "false") -> str:
    return (
        "apiVersion: batch/v1\nkind: CronJob\n"
        f"metadata: {{name: {name}}}\n"
        f'spec:\n  schedule: "{schedule}"\n  suspend: {suspend}\n'
        "  jobTemplate: {spec: {template: {spec: {containers: [{name: c, image: x}]}}}}\n"
    )


# ../shared/cases/pileup-monthly: five hourly jobs and one on the 1st at 03:00
MONTHLY = {
    **{f"hourly-{n}.yaml": cronjob(f"hourly-{n}", "0 * * * *") for n in range(1, 6)},
    "invoice-close.yaml": cronjob("invoice-close", "0 3 1 * *"),
}


def test_pileup_card_and_load_strip_agree_on_a_monthly_pileup(tmp_path):
    text, findings, _ = report_of(tmp_path, MONTHLY)
    page = Page(text)
    (finding,) = [f for f in findings if f.code == "BGT033"]
    assert [tr["data-first"] for tr in page.find("tr") if "data-first" in tr] == [
        f"{finding.location.file}:{finding.location.line}"
    ]
    assert "monthly on the 1st at 03:00 UTC" in text and "per day" not in text
    # The reference day is Monday January 1, a 1st: red at 03:00 with six jobs, and
    # nowhere else (the other hours have the five hourly jobs only).
    marked = page.find("rect", class_="pileup")
    assert [(r["data-minute"], r["data-count"]) for r in marked] == [("180", "6")]


def test_suspended_and_per_cluster_copies_make_no_pileup(tmp_path):
    suspended = {
        name: body.replace("suspend: false", "suspend: true") for name, body in MONTHLY.items()
    }
    text, findings, _ = report_of(tmp_path / "suspended", suspended)
    page = Page(text)
    assert not [f for f in findings if f.code == "BGT033"]
    assert not page.find("section", id="pileups") and not page.find("rect", class_="pileup")
    assert "never fires" in text and "no scheduled fires" in text

    clusters = {
        f"clusters/c{c}/{name}": body
        for c in (1, 2, 3)
        for name, body in MONTHLY.items()
        if name != "invoice-close.yaml"
    }
    text, findings, _ = report_of(tmp_path / "clusters", clusters)
    assert not [f for f in findings if f.code == "BGT033"]
    # Fifteen CronJobs fire at every full hour, five in each cluster: the strip counts the
    # busiest cluster, as BGT033 does, so nothing is above the threshold line.
    assert "jobs per minute in the busiest environment · peak 5 · threshold 5" in text
    assert not Page(text).find("rect", class_="pileup")


def test_marks_honour_the_time_zone_and_fast_jobs_are_bands(pileup):
    text, jobs = pileup
    index = {j["name"]: i for i, j in enumerate(jobs)}
    day = text.split('data-view="day"', 1)[1].split('data-view="week"', 1)[0]

    def row(name: str) -> str:
        return day.split(f'data-job="{index[name]}"', 1)[1].split('class="row', 1)[0]

    # "0 3 * * *" in Europe/Berlin is 02:00 UTC in January.
    assert 'data-m="120"' in row("sales-report")
    assert row("refresh-prices").count('class="mark"') == 6  # 15 */4 * * *
    heartbeat = row("heartbeat")  # every 30 s: one band, not 2880 marks
    assert heartbeat.count('class="band"') == 1 and 'class="mark"' not in heartbeat
    assert "every 30 s" in heartbeat


def test_duplicates_are_linked_and_unlocked_jobs_marked(checked):
    text, jobs, findings = checked
    page = Page(text)
    dup_rows = page.find("div", class_="dup")
    groups = {r["data-group"] for r in dup_rows}
    assert groups == {"A"}
    linked = {int(r["data-job"]) for r in dup_rows}
    assert {jobs[i]["name"] for i in linked} == {"expire-carts"}
    assert {jobs[i]["kind"] for i in linked} == {"apscheduler", "celery_beat"}
    # "no lock" exactly where check reports BGT020: APScheduler jobs, not Celery beat
    # entries (beat is one process by design; BGT024 covers its replicas) nor taskiq.
    unlocked = {int(r["data-job"]) for r in page.find("div", class_="unlocked")}
    reported = {(f.location.file, f.location.line) for f in findings if f.code == "BGT020"}
    assert unlocked == {i for i, j in enumerate(jobs) if (j["file"], j["line"]) in reported}
    assert unlocked and {jobs[i]["kind"] for i in unlocked} == {"apscheduler"}
    beat = [i for i, j in enumerate(jobs) if j["kind"] == "celery_beat"]
    assert beat and all(jobs[i]["locked"] is False for i in beat)
    for i in beat:
        row = text.split(f'<tr id="job-{i}"', 1)[1].split("</tr>", 1)[0]
        assert "b-unlocked" not in row
    assert any(j["locked"] is True for j in jobs)  # rebuild-search is not marked
    data = json.loads(page.scripts[0])
    assert data["jobs"][str(beat[0])]["lock"] == "no lock"


def test_findings_are_grouped_by_rule_with_links(pileup):
    text, _ = pileup
    page = Page(text)
    codes = [e["data-code"] for e in page.find("div", class_="rule")]
    assert codes == sorted(codes) and "BGT001" in codes and "BGT033" in codes
    assert page.find("a", href="rules/BGT001.md")
    text, _ = build(PILEUP, rules_url="https://example.org/rules/")
    assert Page(text).find("a", href="https://example.org/rules/BGT033.md")


def test_page_is_self_contained():
    text, _ = build(SAMPLE)
    page = Page(text)
    assert not page.find("link") and not page.find("img") and not page.find("iframe")
    assert all("src" not in attrs for _, attrs in page.elements)
    for needle in ("http://", "https://", "//cdn", "@import", "url("):
        assert needle not in text.replace('href="rules/', "")


HOSTILE = "<script>alert(1)</script>"
HOSTILE_FILES = {
    "app/jobs.py": f"""
        from apscheduler.schedulers.background import BackgroundScheduler

        scheduler = BackgroundScheduler()


        def job():
            pass


        scheduler.add_job(job, "cron", minute="*/5", id={HOSTILE!r})
        scheduler.add_job(job, "interval", minutes=7, id='"><img src=x onerror=alert(2)>')
        scheduler.add_job(job, "cron", hour=1, id="</script><script>alert(3)</script>")
        """,
}


def test_hostile_job_names_are_escaped(tmp_path):
    write_tree(tmp_path, HOSTILE_FILES)
    project = scan(["."], Config(), jobs=1).project
    assert len(project.jobs) == 3
    text = render(project, checker.run(project, Config()).findings, threshold=5)
    page = Page(text)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "<script>alert" not in text and "<img" not in text
    assert len(page.find("script")) == 2  # the data block and the page's own script
    assert not page.find("img")
    assert not [a for _, attrs in page.elements for a in attrs if a.startswith("on")]
    data = json.loads(page.scripts[0])
    assert HOSTILE in {j["name"] for j in data["jobs"].values()}
    assert "</" not in page.scripts[0]


def test_no_week_view_without_weekly_jobs(tmp_path):
    write_tree(tmp_path, {"app/jobs.py": HOSTILE_FILES["app/jobs.py"]})
    project = scan(["."], Config(), jobs=1).project
    page = Page(render(project, [], threshold=5))
    assert page.find("div", class_="view", data_view="day")
    assert not page.find("div", class_="view", data_view="week")
    assert not page.find("input", id="pick-week")


def test_report_command_is_deterministic(monkeypatch, tmp_path, capsys):
    monkeypatch.chdir(ROOT)
    outputs = []
    for n in range(2):
        out = tmp_path / f"r{n}.html"
        main(["report", PILEUP, SAMPLE, "-o", str(out), "--no-cache"])
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1]
    assert b"fixtures/pileup-service fixtures/sample-service" in outputs[0]


def test_command_and_renderer_agree_on_the_rules_url():
    from check_background_tasks.commands import report as html_command
    from check_background_tasks.report import html

    assert html_command.DEFAULT_RULES_URL == html.DEFAULT_RULES_URL


def test_report_command_default_output(tmp_path, capsys):
    write_tree(tmp_path, HOSTILE_FILES)
    main(["report"])  # returns: exit 0
    assert (
        (tmp_path / "background-tasks.html")
        .read_text(encoding="utf-8")
        .startswith("<!DOCTYPE html>")
    )
    assert "3 jobs" in capsys.readouterr().err
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


# --------------------------------------------------------------------------- Chromium


def chromium_binary() -> str | None:
    for candidate in (os.environ.get("CHROMIUM"), "chromium", "chromium-browser", "google-chrome"):
        if candidate and shutil.which(candidate):
            return shutil.which(candidate)
    return None


class Browser:
    """Headless Chromium over --remote-debugging-pipe (fd 3: commands in, fd 4: out)."""

    TIMEOUT = 30.0

    def __init__(self, binary: str, profile: Path, width: int, height: int) -> None:
        cmd_read, self._write = os.pipe()
        self._read, out_write = os.pipe()

        def wire() -> None:  # in the child: the pipe ends become fds 3 and 4
            a, b = os.dup(cmd_read), os.dup(out_write)
            os.dup2(a, 3)
            os.dup2(b, 4)

        flags = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            f"--user-data-dir={profile}",
            f"--window-size={width},{height}",
            "--remote-debugging-pipe",
            "about:blank",
        ]
        self.proc = subprocess.Popen(
            [binary, *flags],
            preexec_fn=wire,
            pass_fds=(3, 4),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(cmd_read)
        os.close(out_write)
        self._buffer = b""
        self._id = 0
        self.events: list[dict[str, Any]] = []
        self.session: str | None = None

    def _receive(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._read], [], [], left)[0]:
                raise TimeoutError("Chromium did not answer")
            chunk = os.read(self._read, 1 << 20)
            if not chunk:
                raise EOFError("Chromium closed the pipe")
            self._buffer += chunk
        message, _, self._buffer = self._buffer.partition(b"\0")
        return json.loads(message)

    def call(self, method: str, params: dict[str, Any] | None = None, **kw: Any) -> Any:
        self._id += 1
        message: dict[str, Any] = {"id": self._id, "method": method, "params": params or {}}
        session = kw.get("session", self.session)
        if session:
            message["sessionId"] = session
        os.write(self._write, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + self.TIMEOUT
        while True:
            reply = self._receive(deadline)
            if reply.get("id") == self._id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_for(self, event: str) -> None:
        deadline = time.monotonic() + self.TIMEOUT
        while not any(
            e.get("method") == event and e.get("sessionId") == self.session for e in self.events
        ):
            self.events.append(self._receive(deadline))

    def open(self, url: str, width: int, height: int) -> None:
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})[
            "sessionId"
        ]
        for domain in ("Runtime", "Log", "Page", "Network"):
            self.call(f"{domain}.enable")
        self.call(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
        )
        self.call("Page.navigate", {"url": url})
        self.wait_for("Page.loadEventFired")

    def js(self, expression: str) -> Any:
        result = self.call(
            "Runtime.evaluate",
            {"expression": expression, "returnByValue": True, "awaitPromise": True},
        )
        if "exceptionDetails" in result:
            raise AssertionError(f"JS failed: {result['exceptionDetails']}")
        return result["result"].get("value")

    def mouse(self, x: float, y: float) -> None:
        self.call("Input.dispatchMouseEvent", {"type": "mouseMoved", "x": x, "y": y})

    def screenshot(self, path: Path) -> None:
        data = self.call("Page.captureScreenshot", {"format": "png"})["data"]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(data))

    def problems(self) -> list[str]:
        out = []
        for event in self.events:
            method, params = event.get("method"), event.get("params", {})
            if method == "Runtime.exceptionThrown":
                out.append(json.dumps(params.get("exceptionDetails", {}))[:500])
            elif method == "Runtime.consoleAPICalled" and params.get("type") in (
                "error",
                "assert",
                "warning",
            ):
                out.append(json.dumps(params.get("args", []))[:500])
            elif method == "Log.entryAdded" and params["entry"].get("level") in (
                "error",
                "warning",
            ):
                out.append(params["entry"].get("text", "")[:500])
        return out

    def requests(self) -> list[str]:
        return [
            e["params"]["request"]["url"]
            for e in self.events
            if e.get("method") == "Network.requestWillBeSent"
        ]

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.call("Browser.close", session=None)
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)
        os.close(self._write)
        os.close(self._read)


def artifacts_dir() -> Path:
    return Path(os.environ.get("CI_ARTIFACTS_DIR") or ROOT / ".ci" / "out")


DOM_SUMMARY = """(() => {
  const visible = (e) => {
    const r = e.getBoundingClientRect(); return r.width > 0 && r.height > 0;
  };
  const day = document.querySelector('.view-day');
  const pile = day.querySelector('.load rect.pileup[data-minute="%d"]');
  return {
    tableRows: [...document.querySelectorAll('#jobs tbody tr')].filter(visible)
      .map(r => [Number(r.dataset.job), r.cells[1].textContent.trim(), r.cells[8].textContent]),
    dayRows: [...day.querySelectorAll('.row.job')].filter(visible).map(r => Number(r.dataset.job)),
    weekShown: !!document.querySelector('.view-week') &&
      visible(document.querySelector('.view-week')),
    pileup: pile && {count: Number(pile.dataset.count), width: pile.getBoundingClientRect().width,
      fill: getComputedStyle(pile).fill},
    pin: !!day.querySelector('.pin[data-minute="%d"]') && visible(day.querySelector('.pin')),
    normalFill: getComputedStyle(day.querySelector('.load .bars')).fill,
  };
})()"""


@pytest.mark.skipif(chromium_binary() is None, reason="no Chromium installed")
def test_report_renders_in_headless_chromium(checked, tmp_path):
    text, jobs, findings = checked
    page = tmp_path / "background-tasks.html"
    page.write_text(text, encoding="utf-8")
    width, height = 1400, 1000
    browser = Browser(str(chromium_binary()), Path(tempfile.mkdtemp(dir=tmp_path)), width, height)
    try:
        browser.open(page.as_uri(), width, height)
        dom = browser.js(DOM_SUMMARY % (PILEUP_MINUTE, PILEUP_MINUTE))
        # Every inventory job is a rendered row, in the table and on the 24-hour timeline.
        assert sorted(r[0] for r in dom["tableRows"]) == list(range(len(jobs)))
        for index, name, where in dom["tableRows"]:
            assert where == f"{jobs[index]['file']}:{jobs[index]['line']}"
            assert name.startswith(jobs[index]["name"] or "")
        assert sorted(dom["dayRows"]) == list(range(len(jobs)))
        assert dom["weekShown"] is False  # the 7-day view waits behind its switch
        # The planted pile-up: a red bar on the load strip at Mon 02:00 with its count.
        assert dom["pileup"]["count"] == 8 and dom["pileup"]["width"] > 0
        assert dom["pileup"]["fill"] == "rgb(220, 38, 38)" != dom["normalFill"]
        assert dom["pin"]
        # The page says what check says: a pile-up card row per BGT033 finding, and a
        # "no lock" badge on exactly the jobs BGT020 reports (none on Celery beat entries).
        cards = browser.js("[...document.querySelectorAll('#pileups tbody tr')].length")
        assert cards == sum(1 for f in findings if f.code == "BGT033") == 1
        badged = browser.js(
            """[...document.querySelectorAll('.view-day .row.job')]
              .filter(r => r.querySelector('.label .b-unlocked'))
              .map(r => Number(r.dataset.job))"""
        )
        reported = {(f.location.file, f.location.line) for f in findings if f.code == "BGT020"}
        assert sorted(badged) == [
            i for i, j in enumerate(jobs) if (j["file"], j["line"]) in reported
        ]
        assert not [i for i in badged if jobs[i]["kind"] == "celery_beat"]
        beat = [i for i, j in enumerate(jobs) if j["kind"] == "celery_beat"]
        lock_cells = browser.js(
            f"{json.dumps(beat)}.map(i => document.getElementById('job-' + i).cells[7].textContent)"
        )
        assert lock_cells == ["no"] * len(beat)

        # Hovering a mark shows the job, its schedule, next fires and where it is declared.
        index = next(i for i, j in enumerate(jobs) if j["name"] == "nightly-backup")
        x, y = browser.js(
            f"""(() => {{ const m = document.querySelector(
                '.view-day .row[data-job="{index}"] .mark[data-m="{PILEUP_MINUTE}"]');
              const r = m.getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2];
            }})()"""
        )
        browser.mouse(x, y)
        tip = browser.js("[document.getElementById('tip').hidden, tip.textContent]")
        assert tip[0] is False
        for needle in ("nightly-backup", "Mon 02:00 UTC", '"cron", hour=2', "scheduler.py:14"):
            assert needle in tip[1]
        artifacts = artifacts_dir()
        browser.screenshot(artifacts / "report-pileup-service.png")
        if os.environ.get("UPDATE_DOCS_SCREENSHOT"):
            shutil.copyfile(
                artifacts / "report-pileup-service.png", ROOT / "docs" / "report-screenshot.png"
            )

        # Filtering the table filters the timeline too; sorting reorders the table.
        browser.mouse(5, 5)
        shown = browser.js(
            """(() => { const f = document.getElementById('filter'); f.value = 'expire-carts';
              f.dispatchEvent(new Event('input'));
              return [document.getElementById('shown').textContent,
                document.querySelectorAll('.view-day .row.job:not(.hidden)').length]; })()"""
        )
        assert shown == [f"2 of {len(jobs)} jobs", 2]
        order = browser.js(
            """(() => { document.getElementById('filter').value = '';
              document.getElementById('filter').dispatchEvent(new Event('input'));
              document.querySelector('#jobs th button[data-col="1"]').click();
              return [...document.querySelectorAll('#jobs tbody tr')]
                .map(r => r.cells[1].dataset.sort); })()"""
        )
        named = [n for n in order if n]
        assert named == sorted(named) and order[-1] == ""
        # The 7-day switch works without any script error.
        browser.js("document.querySelector('label[for=pick-week]').click()")
        assert (
            browser.js("getComputedStyle(document.querySelector('.view-week')).display") != "none"
        )
        browser.screenshot(artifacts / "report-pileup-service-week.png")

        assert browser.problems() == []
        assert all(u.startswith("file:") for u in browser.requests()), browser.requests()
    finally:
        browser.close()


@pytest.mark.skipif(chromium_binary() is None, reason="no Chromium installed")
def test_sample_and_hostile_reports_render_cleanly(tmp_path):
    sample, jobs = build(SAMPLE)
    write_tree(tmp_path / "evil", HOSTILE_FILES)
    os.chdir(tmp_path / "evil")
    project = scan(["."], Config(), jobs=1).project
    hostile = render(project, checker.run(project, Config()).findings, threshold=5)
    os.chdir(tmp_path)
    browser = Browser(str(chromium_binary()), tmp_path / "profile", 1400, 1000)
    try:
        for name, text, count in (("sample", sample, len(jobs)), ("hostile", hostile, 3)):
            page = tmp_path / f"{name}.html"
            page.write_text(text, encoding="utf-8")
            browser.open(page.as_uri(), 1400, 1000)
            rows = browser.js(
                "[...document.querySelectorAll('.view-day .row.job .name')].map(e => e.textContent)"
            )
            assert len(rows) == count
            assert browser.js("document.querySelectorAll('#jobs tbody tr').length") == count
            if name == "hostile":
                assert HOSTILE in rows
                assert browser.js("document.querySelectorAll('script').length") == 2
            browser.screenshot(artifacts_dir() / f"report-{name}.png")
        dialogs = [e for e in browser.events if e.get("method") == "Page.javascriptDialogOpening"]
        assert dialogs == []
        assert browser.problems() == []
    finally:
        browser.close()
