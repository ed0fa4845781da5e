"""Neuroglia background jobs (extract/neuroglia.py, link_neuroglia.py)."""

from __future__ import annotations

from helpers import records

JOBS = """
    from neuroglia.application.background_scheduler import RecurrentBackgroundJob, backgroundjob


    @backgroundjob(task_type="recurrent")
    class WorkerMetricsCollectionJob(RecurrentBackgroundJob):
        async def run_every(self, *args, **kwargs):
            pass


    @backgroundjob(task_type="scheduled", interval=None)
    class ReportJob:
        async def run_at(self, *args, **kwargs):
            pass


    class NotRegistered(RecurrentBackgroundJob):
        async def run_every(self, *args, **kwargs):
            pass
    """

MONITOR = """
    import datetime

    from application.services.background_scheduler import (
        BackgroundTasksBus,
        RecurrentTaskDescriptor,
        ScheduledTaskDescriptor,
    )

    POLL = 300


    class Monitor:
        def __init__(self, bus: BackgroundTasksBus):
            self.bus = bus

        def start(self, worker_id):
            self.bus.schedule_task(
                RecurrentTaskDescriptor(
                    id=f"metrics-{worker_id}",
                    name="WorkerMetricsCollectionJob",
                    data={"worker_id": worker_id},
                    interval=POLL,
                )
            )
            self.bus.schedule_task(
                ScheduledTaskDescriptor("report-1", "ReportJob", {}, datetime.datetime.now())
            )
    """


def _rows(found):
    return sorted(
        (r["name"], r["target"], r["interval_seconds"], r["file"], r["line"])
        for r in found
        if r["kind"] == "neuroglia"
    )


def test_descriptors_are_jobs_linked_to_their_class(tmp_path):
    found = records(
        tmp_path,
        {
            "application/__init__.py": "",
            "application/services/__init__.py": "",
            "application/services/jobs.py": JOBS,
            "application/services/monitor.py": MONITOR,
        },
    )
    jobs = "application.services.jobs"
    assert _rows(found) == [
        (
            "WorkerMetricsCollectionJob",
            f"{jobs}.WorkerMetricsCollectionJob.run_every",
            300,
            "application/services/monitor.py",
            19,
        ),
        ("report-1", f"{jobs}.ReportJob.run_at", None, "application/services/monitor.py", 27),
    ]
    by_name = {r["name"]: r for r in found}
    assert by_name["WorkerMetricsCollectionJob"]["schedule"] == "POLL"
    assert by_name["WorkerMetricsCollectionJob"]["id_is_expression"] == 'f"metrics-{worker_id}"'


def test_a_registered_class_nothing_schedules_is_listed_alone(tmp_path):
    found = records(
        tmp_path,
        {"application/__init__.py": "", "application/jobs.py": JOBS},
    )
    # NotRegistered has no @backgroundjob: the scheduler never sees it (near miss)
    assert _rows(found) == [
        ("ReportJob", "application.jobs.ReportJob.run_at", None, "application/jobs.py", 12),
        (
            "WorkerMetricsCollectionJob",
            "application.jobs.WorkerMetricsCollectionJob.run_every",
            None,
            "application/jobs.py",
            6,
        ),
    ]


def test_the_decorator_interval_schedules_the_class(tmp_path):
    source = JOBS.replace(
        '@backgroundjob(task_type="recurrent")',
        '@backgroundjob(task_type="recurrent", interval=120)',
    )
    found = records(tmp_path, {"application/__init__.py": "", "application/jobs.py": source})
    by_name = {r["name"]: r["interval_seconds"] for r in found}
    assert by_name == {"WorkerMetricsCollectionJob": 120, "ReportJob": None}


def test_a_descriptor_naming_no_known_class_keeps_its_name(tmp_path):
    found = records(
        tmp_path,
        {
            "app/__init__.py": "",
            "app/m.py": """
                from app.sched import RecurrentTaskDescriptor

                def go(bus):
                    bus.schedule_task(RecurrentTaskDescriptor("x", "Elsewhere", {}, 60))
                """,
        },
    )
    assert _rows(found) == [("x", "Elsewhere", 60, "app/m.py", 5)]
