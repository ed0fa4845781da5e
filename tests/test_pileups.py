"""BGT033 schedule-pileup and `pileups`: what fires, per environment, over a real year."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from helpers import findings

from check_background_tasks import pileups, schedules
from check_background_tasks.config import Config
from check_background_tasks.model import TEMPLATED, Job, Location

UTC = timezone.utc


def cron_job(
    name: str,
    cron: str,
    *,
    tz: str | None = None,
    file: str | None = None,
    kind: str = "k8s_cronjob",
    **extra: Any,
) -> Job:
    schedule = schedules.from_cron_string(cron, "kubernetes", tz)
    assert schedule.cron is not None, schedule
    where = Location(file or f"deploy/{name}.yaml", 1, 1)
    return Job(kind, name, "run", schedule, None, None, where, extra=tuple(extra.items()))


def groups(jobs: list[Job], threshold: int = 5) -> list[pileups.PileUp]:
    return list(pileups.find(jobs, threshold).groups)


def whens(jobs: list[Job], threshold: int = 5) -> list[str]:
    return [pileups.describe(g.stretches[0]) for g in groups(jobs, threshold)]


# --------------------------------------------------------------------------- what fires


def test_suspended_cronjobs_never_pile_up() -> None:
    firing = [cron_job(f"j{i}", "0 0 * * *", suspend=False) for i in range(6)]
    assert whens(firing) == ["daily at 00:00 UTC"]
    suspended = [cron_job(f"j{i}", "0 0 * * *", suspend=True) for i in range(6)]
    assert groups(suspended) == []
    # A template decides: unknown, so not counted either (say less).
    templated = [cron_job(f"j{i}", "0 0 * * *", suspend=TEMPLATED) for i in range(6)]
    assert groups(templated) == []
    # Five firing and one suspended: at the threshold, no pile-up.
    assert groups([*firing[:5], suspended[5]]) == []


def test_a_monthly_job_piles_up_once_a_month() -> None:
    hourly = [cron_job(f"hourly-{i}", "0 * * * *") for i in range(5)]
    monthly = cron_job("invoice-close", "0 3 1 * *")
    found = groups([*hourly, monthly])
    assert len(found) == 1
    (stretch,) = found[0].stretches
    assert pileups.describe(stretch) == "monthly on the 1st at 03:00 UTC"
    assert stretch.peak == 6 and stretch.days.bit_count() == 12
    # Near miss: four hourly jobs and the monthly one never exceed five.
    assert groups([*hourly[:4], monthly]) == []


def test_days_of_the_week_and_of_the_month_are_real_dates() -> None:
    weekly = [cron_job(f"w{i}", "0 4 * * 0") for i in range(6)]
    assert whens(weekly) == ["weekly on Sundays at 04:00 UTC"]
    # Five jobs on the 1st and one on Mondays: six only on the 1sts that are a Monday.
    firsts = [cron_job(f"f{i}", "0 6 1 * *") for i in range(5)]
    monday = cron_job("monday", "0 6 * * 1")
    assert whens([*firsts, monday]) == [
        "on the 1st of a month when it is a Monday (3 days in 2024: Jan 1, Apr 1, Jul 1) "
        "at 06:00 UTC"
    ]
    # cron ORs two restricted day fields: "0 6 1 * 1" fires on every Monday as well.
    either = cron_job("either", "0 6 1 * 1")
    mondays = [cron_job(f"m{i}", "0 6 * * 1") for i in range(5)]
    assert whens([*mondays, either]) == ["weekly on Mondays at 06:00 UTC"]


def test_a_monthly_job_meeting_a_weekly_one_says_so() -> None:
    # Seen in a Helm chart: daily, weekly (Sunday) and monthly (3rd) jobs at 05:00 make six
    # only when the 3rd is a Sunday, not "on the 3rd of March and November".
    jobs = [cron_job(f"d{i}", "0 5 * * *") for i in range(4)]
    jobs += [cron_job("weekly", "0 5 * * 0"), cron_job("monthly", "0 5 3 * *")]
    assert whens(jobs) == [
        "on the 3rd of a month when it is a Sunday (2 days in 2024: Mar 3, Nov 3) at 05:00 UTC"
    ]


def test_later_pileups_of_the_same_first_job_name_who_joins(tmp_path: Path) -> None:
    files = {f"cj{i}.yaml": cronjob(f"job-{i}", "0 3,4,5 * * *") for i in range(6)}
    files["late.yaml"] = cronjob("late", "0 4 * * *")
    files["later.yaml"] = cronjob("later", "0 5 * * *")
    (found,) = findings(tmp_path, files, code="BGT033")
    assert found.message.startswith("7 jobs fire in the same minute, daily at 04:00 UTC")
    assert "'late' (late.yaml:1)" in found.message
    # The six named already are not named again; the one that joins is, as "including".
    assert (
        "; also 7 jobs fire in the same minute, daily at 05:00 UTC, including 'later' "
        "(later.yaml:1); also 6 jobs fire in the same minute, daily at 03:00 UTC;"
    ) in found.message


def test_jobs_in_different_environments_never_pile_up_together() -> None:
    prod = [cron_job(f"p{i}", "0 2 * * *", environment="prod") for i in range(4)]
    staging = [cron_job(f"s{i}", "0 2 * * *", environment="staging") for i in range(4)]
    assert groups([*prod, *staging]) == []
    # A job with no environment (an in-app job) runs in each of them.
    app = [
        cron_job(f"a{i}", "0 2 * * *", kind="apscheduler", file=f"app/s{i}.py") for i in range(2)
    ]
    # One finding (its first job is the same in-app job), a pile-up in each environment.
    (found,) = groups([*prod, *staging, *app])
    texts = [pileups.describe_environments(s) for s in found.stretches]
    assert texts == [" in environment prod", " in environment staging"]
    assert [len(s.jobs) for s in found.stretches] == [6, 6]


def test_one_base_rendered_into_several_environments_is_one_finding() -> None:
    # The same six jobs (same declaration) rendered into two overlays pile up in both.
    jobs = [
        cron_job(f"j{i}", "0 2 * * *", file=f"base/j{i}.yaml", environment=env)
        for env in ("prod", "staging")
        for i in range(6)
    ]
    (group,) = groups(jobs)
    assert group.stretches[0].environments == ("prod", "staging")
    assert pileups.describe_environments(group.stretches[0]) == " in environments prod and staging"


def test_copies_of_one_job_in_one_environment_are_one_instance() -> None:
    jobs = [cron_job(f"j{i}", "0 2 * * *", environment="prod") for i in range(5)]
    copy = cron_job("j0", "0 2 * * *", file="other/j0.yaml", environment="prod")
    assert groups([*jobs, copy]) == []
    different = cron_job("j0", "5 2 * * *", file="other/j0.yaml", environment="prod")
    assert groups([*jobs, different]) == []  # a different schedule: not at 02:00 anyway
    sixth = cron_job("j5", "0 2 * * *", environment="prod")
    assert len(groups([*jobs, copy, sixth])) == 1


def test_cluster_directories_are_environments_unless_the_deploy_stage_says() -> None:
    jobs = [
        cron_job(f"kanary-{n}", "0,30 * * * *", file=f"clusters/c{c}/kanary-{n}.yaml")
        for c in (1, 2, 3)
        for n in range(2)
    ]
    assert groups(jobs) == []  # two per cluster
    assert pileups.environments(jobs)[0] == "clusters/c1"
    # A job the deploy stage labelled keeps its label; the unlabelled are still placed.
    labelled = [*jobs[:-1], cron_job("kanary-1", "0,30 * * * *", environment="overlays/x")]
    assert pileups.environments(labelled) == [
        *(f"clusters/c{c}" for c in (1, 1, 2, 2, 3)),
        "overlays/x",
    ]


# --------------------------------------------------------------------------- time zones


def test_jobs_sharing_a_zone_are_described_in_it() -> None:
    berlin = [cron_job(f"b{i}", "0 3 1 * *", tz="Europe/Berlin") for i in range(6)]
    (stretch,) = groups(berlin)[0].stretches
    assert pileups.describe(stretch) == "monthly on the 1st at 03:00 Europe/Berlin"
    assert stretch.zone == "Europe/Berlin"


def test_mixed_zones_are_described_in_utc_with_the_real_days() -> None:
    # 03:00 in Berlin is 02:00 UTC in winter only: six jobs on 156 days, not every day.
    utc = [cron_job(f"u{i}", "0 2 * * *") for i in range(5)]
    berlin = cron_job("sales-report", "0 3 * * *", tz="Europe/Berlin")
    (group,) = groups([*utc, berlin])
    (stretch,) = group.stretches
    text = pileups.describe(stretch)
    assert text == "on 156 days a year (Jan 1 to Mar 30, Oct 27 to Dec 31) at 02:00 UTC"
    assert "daily" not in text


def test_a_job_joining_on_some_days_is_named_with_its_days(tmp_path: Path) -> None:
    files = {
        "k8s/report.yaml": """\
            apiVersion: batch/v1
            kind: CronJob
            metadata:
              name: sales-report
            spec:
              schedule: "0 3 * * *"
              timeZone: Europe/Berlin
              jobTemplate: {spec: {template: {spec: {containers: [{name: c, image: x}]}}}}
            """,
        "app/__init__.py": "",
        "app/jobs.py": "def report():\n    pass\n",
        "app/sched.py": "from apscheduler.schedulers.background import BackgroundScheduler\n"
        "from app.jobs import report\n\nscheduler = BackgroundScheduler()\n"
        + "".join(
            f'scheduler.add_job(report, "cron", hour=2, minute=0, id="j{i}")\n' for i in range(6)
        ),
    }
    (found,) = findings(tmp_path, files, code="BGT033")
    assert found.message.startswith("up to 7 jobs fire in the same minute, daily at 02:00 UTC")
    assert (
        "with 'sales-report' (k8s/report.yaml:1, Europe/Berlin time) on 156 days a year "
        "(Jan 1 to Mar 30, Oct 27 to Dec 31)" in found.message
    )
    assert found.location.file == "app/sched.py"  # the first job by location
    assert {r.file for r in found.related} == {"app/sched.py", "k8s/report.yaml"}


# --------------------------------------------------------------------------- the rule


def cronjob(name: str, schedule: str, extra: str = "") -> str:
    return f"""\
        apiVersion: batch/v1
        kind: CronJob
        metadata:
          name: {name}
        spec:
          schedule: "{schedule}"
          {extra}
          jobTemplate: {{spec: {{template: {{spec: {{containers: [{{name: c, image: x}}]}}}}}}}}
        """


def test_case_pileup_suspended(tmp_path: Path) -> None:
    files = {f"cj{i}.yaml": cronjob(f"job-{i}", "0 0 * * *", "suspend: true") for i in range(6)}
    assert findings(tmp_path, files, code="BGT033") == []
    files = {f"cj{i}.yaml": cronjob(f"job-{i}", "0 0 * * *", "suspend: false") for i in range(6)}
    assert len(findings(tmp_path / "firing", files, code="BGT033")) == 1


def test_case_pileup_monthly(tmp_path: Path) -> None:
    files = {f"hourly-{i}.yaml": cronjob(f"hourly-{i}", "0 * * * *") for i in range(1, 6)}
    files["invoice-close.yaml"] = cronjob("invoice-close", "0 3 1 * *")
    (found,) = findings(tmp_path, files, code="BGT033")
    assert "monthly on the 1st at 03:00 UTC" in found.message
    assert "per day" not in found.message and "daily" not in found.message
    assert "'invoice-close' (invoice-close.yaml:1)" in found.message  # where each is declared
    assert found.location.file == "hourly-1.yaml" and len(found.related) == 5


def test_case_pileup_across_clusters(tmp_path: Path) -> None:
    files = {}
    for c in (1, 2, 3):
        files[f"clusters/c{c}/kanary.yaml"] = cronjob("kanary-trigger", "0,30 * * * *")
        files[f"clusters/c{c}/vacuum.yaml"] = cronjob("cluster-vacuum", "0 */3 * * *")
    assert findings(tmp_path, files, code="BGT033") == []


def test_a_pileup_inside_one_cluster_names_it(tmp_path: Path) -> None:
    files = {}
    for c in (1, 2):
        files[f"clusters/c{c}/kanary.yaml"] = cronjob("kanary-trigger", "0 * * * *")
    for n in range(5):
        files[f"clusters/c1/job-{n}.yaml"] = cronjob(f"job-{n}", "0 4 * * *")
    (found,) = findings(tmp_path, files, code="BGT033")
    assert "6 jobs fire in the same minute in environment clusters/c1, daily at 04:00 UTC" in (
        found.message
    )


def test_threshold_and_advice(tmp_path: Path) -> None:
    files = {f"cj{i}.yaml": cronjob(f"job-{i}", "15 1 * * *") for i in range(3)}
    config = Config(select=["ALL"], pileup_threshold=2)
    (found,) = findings(tmp_path, files, config=config, code="BGT033")
    assert "(threshold 2)" in found.message and "stagger their schedules" in found.message


# --------------------------------------------------------------------------- words


@pytest.mark.parametrize(
    ("cron", "expected"),
    [
        ("0 3 * * *", "daily"),
        ("0 3 * * 1", "weekly on Mondays"),
        ("0 3 * * 1,4", "weekly on Mondays and Thursdays"),
        ("0 3 * * 1-5", "on weekdays (Monday to Friday)"),
        ("0 3 * * 6,0", "at weekends"),
        ("0 3 1 * *", "monthly on the 1st"),
        ("0 3 1,15 * *", "monthly on the 1st and 15th"),
        ("0 3 22 * *", "monthly on the 22nd"),
        ("0 3 1 1 *", "yearly on January 1"),
        ("0 3 1 1,7 *", "on the 1st of January and July (2 days a year)"),
        ("0 3 31 * *", "monthly on the 31st"),
        ("0 3 * 2 *", "daily in February (29 days a year)"),
        ("0 3 1-10 * *", "monthly on the 1st, 2nd, 3rd, 4th, 5th, 6th, 7th, 8th, 9th and 10th"),
        ("0 3 1-5 3 *", "on 5 days a year (Mar 1 to Mar 5)"),
    ],
)
def test_describe_days(cron: str, expected: str) -> None:
    fires = pileups.utc_fires(schedules.from_cron_string(cron).cron or "", "UTC", UTC)
    ((_slot, axis),) = fires
    assert pileups.describe_days(pileups._year(axis)) == expected


def test_describe_days_last_day_and_fallback() -> None:
    year = pileups._year_masks()
    assert pileups.describe_days(year.last) == "monthly on the last day"
    odd = 1 | 1 << 40 | 1 << 41
    assert pileups.describe_days(odd) == "on 3 days a year (Jan 1, Feb 10 to Feb 11)"


def test_hourly_pileups_say_hourly() -> None:
    jobs = [cron_job(f"h{i}", "0 * * * *") for i in range(6)]
    assert whens(jobs) == ["hourly at :00 UTC"]


def test_describe_times() -> None:
    assert pileups.describe_times([180], "UTC") == "at 03:00 UTC"
    assert pileups.describe_times([180, 240], "UTC") == "at 03:00 and 04:00 UTC"
    assert pileups.describe_times(list(range(0, DAY, 60)), "UTC") == "every hour at :00 UTC"
    many = list(range(0, DAY, 120))
    assert pileups.describe_times(many, "UTC") == "at 00:00, 02:00, … 22:00 UTC (12 times a day)"


DAY = 1440


# --------------------------------------------------------------------------- calendar


def expand(cron: str, tz: str | None) -> set[datetime]:
    sched = schedules.from_cron_string(cron, timezone=tz)
    assert sched.cron is not None
    out = set()
    for slot, mask in pileups.utc_fires(sched.cron, *schedules.schedule_zone(sched)):
        for i in pileups._bits(mask):
            day = pileups.AXIS_START + timedelta(days=i)
            out.add(datetime(day.year, day.month, day.day, slot // 60, slot % 60, tzinfo=UTC))
    return out


WINDOWS = [  # around daylight-saving changes (both hemispheres) and month ends
    (datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 1, 3, tzinfo=UTC)),
    (datetime(2024, 2, 27, tzinfo=UTC), datetime(2024, 3, 2, tzinfo=UTC)),
    (datetime(2024, 3, 9, tzinfo=UTC), datetime(2024, 3, 12, tzinfo=UTC)),
    (datetime(2024, 3, 29, tzinfo=UTC), datetime(2024, 4, 2, tzinfo=UTC)),
    (datetime(2024, 4, 5, tzinfo=UTC), datetime(2024, 4, 8, tzinfo=UTC)),
    (datetime(2024, 10, 5, tzinfo=UTC), datetime(2024, 10, 8, tzinfo=UTC)),
    (datetime(2024, 10, 26, tzinfo=UTC), datetime(2024, 10, 29, tzinfo=UTC)),
    (datetime(2024, 11, 2, tzinfo=UTC), datetime(2024, 11, 5, tzinfo=UTC)),
    (datetime(2024, 12, 30, tzinfo=UTC), datetime(2025, 1, 1, tzinfo=UTC)),
]
CRONS = [
    "0 3 1 * *",
    "30 2 * * *",
    "0 * * * *",
    "*/15 2 * * *",
    "0,30 2 * * *",
    "* 2 * * 0",
    "0 0 L * *",
    "0 0 30 2 1",
    "0 0 */2 * 1",
    "15 */4 * * *",
    "59 23 31 12 *",
    "0 1 * * *",
]
ZONES = [
    None,
    "Europe/Berlin",
    "America/New_York",
    "Australia/Sydney",
    "Asia/Kolkata",
    "America/Santiago",
    "America/Havana",  # changes at midnight
]


@pytest.mark.parametrize("tz", ZONES)
@pytest.mark.parametrize("cron", CRONS)
def test_calendar_expansion_fires_exactly_as_cronsim(cron: str, tz: str | None) -> None:
    """The bitmask expansion against cronsim's own iteration (`schedules.fire_times`).

    Not Pacific/Chatham or Australia/Lord_Howe: their changes are not on the hour, where
    cronsim's stepping skips the second pass of a repeated wall time (a quirk of its own).
    """
    got = expand(cron, tz)
    sched = schedules.from_cron_string(cron, timezone=tz)
    for start, end in WINDOWS:
        want = set(schedules.fire_times(sched, start, end))
        assert {t for t in got if start <= t < end} == want, (start, cron, tz)


def test_two_hundred_cron_jobs_are_quick() -> None:
    crons = ["0 * * * *", "*/5 * * * *", "0 3 * * *", "0 3 1 * *", "15 */4 * * *", "0 4 * * 0"]
    zones = [None, "Europe/Berlin", "America/New_York"]
    jobs = [cron_job(f"j{i}", crons[i % len(crons)], tz=zones[i % len(zones)]) for i in range(200)]
    pileups.utc_fires.cache_clear()
    started = time.perf_counter()
    found = pileups.find(jobs, 5)
    elapsed = time.perf_counter() - started
    assert found.groups
    assert elapsed < 0.5  # about 15 ms; this catches an expansion that lists every fire


def test_per_component_overlays_of_one_environment_meet() -> None:
    # thoth-style trees: <component>/overlays/<env>, one cluster per env
    jobs = [
        cron_job(f"c{i}", "0 0 1 * *", environment=f"component{i}/overlays/stage") for i in range(6)
    ]
    assert set(pileups.environments(jobs)) == {"overlays/stage"}
    assert len(groups(jobs)) == 1
    apart = [
        *jobs[:3],
        *(cron_job(f"p{i}", "0 0 1 * *", environment=f"c{i}/overlays/prod") for i in range(3)),
    ]
    assert groups(apart) == []
