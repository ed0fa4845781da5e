"""django-celery-beat rows made in code or data migrations (extract/django_beat.py)."""

from __future__ import annotations

from helpers import findings, records

MIGRATION = """
    from django.db import migrations


    def create(apps, schema_editor):
        CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
        IntervalSchedule = apps.get_model("django_celery_beat.IntervalSchedule")
        PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
        nightly, _ = CrontabSchedule.objects.get_or_create(minute="0", hour=3)
        PeriodicTask.objects.get_or_create(
            name="nightly-report",
            defaults={"task": "shop.tasks.report", "crontab": nightly},
        )
        every, _ = IntervalSchedule.objects.get_or_create(every=10, period=IntervalSchedule.MINUTES)
        PeriodicTask.objects.create(name="sync", task="shop.tasks.sync", interval=every)
        PeriodicTask.objects.create(name="off", task="shop.tasks.sync", enabled=False)
        Other = apps.get_model("shop", "PeriodicTask")
        Other.objects.create(name="not-beat", task="x")


    class Migration(migrations.Migration):
        operations = [migrations.RunPython(create)]
    """

TASKS = """
    from celery import shared_task


    @shared_task
    def report():
        pass


    @shared_task
    def sync():
        pass
    """

SETUP = """
    from django_celery_beat.models import ClockedSchedule, IntervalSchedule, PeriodicTask


    def ensure():
        PeriodicTask.objects.update_or_create(
            name="cleanup",
            defaults={
                "task": "shop.tasks.report",
                "interval": IntervalSchedule.objects.get_or_create(every=30, period="seconds")[0],
            },
        )
        at, _ = IntervalSchedule.objects.using(db).get_or_create(every=2, period="hours")
        PeriodicTask.objects.using(db).create(name="db", task="shop.tasks.sync", interval=at)
        PeriodicTask.objects.create(
            name="once",
            task="shop.tasks.sync",
            clocked=ClockedSchedule.objects.create(clocked_time=when()),
        )
    """


MIGRATION_PATH = "shop/migrations/0005_beat.py"


def _rows(tmp_path, files):
    return sorted(
        (r["name"], r["target"], r["interval_seconds"], r["cron"], r["file"], r["line"])
        for r in records(tmp_path, files)
        if r["kind"] == "celery_beat"
    )


def test_rows_of_a_data_migration_and_of_code(tmp_path):
    files = {
        "shop/__init__.py": "",
        "shop/migrations/__init__.py": "",
        MIGRATION_PATH: MIGRATION,
        "shop/tasks.py": TASKS,
        "shop/setup.py": SETUP,
    }
    assert _rows(tmp_path, files) == [
        ("cleanup", "shop.tasks.report", 30, None, "shop/setup.py", 6),
        ("db", "shop.tasks.sync", 7200, None, "shop/setup.py", 14),
        (
            "nightly-report",
            "shop.tasks.report",
            None,
            "0 3 * * *",
            "shop/migrations/0005_beat.py",
            10,
        ),
        ("once", "shop.tasks.sync", None, None, "shop/setup.py", 15),
        ("sync", "shop.tasks.sync", 600, None, MIGRATION_PATH, 15),
    ]
    found = {r["name"]: r for r in records(tmp_path, files)}
    assert found["sync"]["source"] == "django_celery_beat"
    assert found["nightly-report"]["schedule"] == 'CrontabSchedule(minute="0", hour=3)'


def test_near_misses_another_apps_model_a_disabled_row_and_other_queries(tmp_path):
    files = {
        "shop/__init__.py": "",
        "shop/models.py": """
            from django.db import models


            class PeriodicTask(models.Model):
                name = models.CharField(max_length=10)


            def make():
                PeriodicTask.objects.create(name="mine", task="x")
                Report.objects.get_or_create(name="r", crontab=None)
            """,
        "shop/off.py": """
            from django_celery_beat.models import PeriodicTask

            def disable():
                PeriodicTask.objects.filter(name="sync").update(enabled=False)
                PeriodicTask.objects.create(name="off", task="shop.tasks.sync", enabled=False)


            def helper(name, params):
                PeriodicTask.objects.update_or_create(defaults=params, name=name)
            """,
    }
    assert _rows(tmp_path, files) == []


def test_rows_feed_the_beat_rules(tmp_path):
    files = {
        "shop/__init__.py": "",
        "shop/tasks.py": TASKS,
        "shop/setup.py": """
            from django_celery_beat.models import CrontabSchedule, PeriodicTask


            def ensure():
                at3, _ = CrontabSchedule.objects.get_or_create(minute="0", hour="3")
                PeriodicTask.objects.get_or_create(name="a", task="shop.tasks.report", crontab=at3)
                PeriodicTask.objects.get_or_create(name="b", task="shop.tasks.report", crontab=at3)
            """,
    }
    assert [f.location.line for f in findings(tmp_path, files, code="BGT003")] == [8]


def test_a_row_is_keyed_by_name(tmp_path):
    """Under DatabaseScheduler a beat_schedule entry is written into the table under its
    key: a migration's row of that name is the same row; so are two rows of one name."""
    files = {
        "shop/__init__.py": "",
        "shop/tasks.py": TASKS,
        "shop/celery.py": """
            from celery import Celery
            from celery.schedules import crontab

            app = Celery("shop")
            app.conf.beat_schedule = {
                "report": {"task": "shop.tasks.report", "schedule": crontab(minute="12")},
            }
            """,
        "shop/migrations/__init__.py": "",
        MIGRATION_PATH: """
            def create(apps, schema_editor):
                CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
                PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
                c1 = CrontabSchedule.objects.get_or_create(minute=12)[0]
                PeriodicTask.objects.create(
                    name="report", task="shop.tasks.report", crontab=c1, enabled=settings.ON
                )
                PeriodicTask.objects.create(name="sync", task="shop.tasks.sync", crontab=c1)
                PeriodicTask.objects.update_or_create(name="sync", task="shop.tasks.sync")


            class Migration(migrations.Migration):
                operations = [migrations.RunPython(create)]
            """,
    }
    rows = [
        (r["name"], r["file"], r["line"])
        for r in records(tmp_path, files)
        if r["kind"] == "celery_beat"
    ]
    assert rows == [("report", "shop/celery.py", 7), ("sync", MIGRATION_PATH, 9)]
    assert findings(tmp_path, files, code="BGT003") == []


def test_rows_made_in_a_loop_over_a_literal_list(tmp_path):
    files = {
        "shop/__init__.py": "",
        "shop/tasks.py": TASKS,
        "shop/signals.py": """
            from django.apps import apps


            def create_periodic_tasks(app_config, apps=apps, **kwargs):
                CrontabSchedule = apps.get_model("django_celery_beat.CrontabSchedule")
                PeriodicTask = apps.get_model("django_celery_beat.PeriodicTask")
                every_15, _ = CrontabSchedule.objects.get_or_create(minute="15", hour="*")
                tasks = [
                    {"name": "Report", "task": "shop.tasks.report"},
                    {"name": "Sync", "task": "shop.tasks.sync"},
                ]
                for task in tasks:
                    PeriodicTask.objects.get_or_create(
                        name=task["name"], task=task["task"], crontab=every_15
                    )
                for row in PeriodicTask.objects.filter(enabled=True):  # data, not a literal
                    PeriodicTask.objects.create(name=row.name, task=row.task, crontab=every_15)
            """,
    }
    assert _rows(tmp_path, files) == [
        ("Report", "shop.tasks.report", None, "15 * * * *", "shop/signals.py", 10),
        ("Sync", "shop.tasks.sync", None, "15 * * * *", "shop/signals.py", 11),
    ]


def test_rows_spread_from_a_literal_with_schedules_kept_in_a_dict(tmp_path):
    files = {
        "shop/__init__.py": "",
        "shop/tasks.py": TASKS,
        "shop/apps.py": """
            def update_periodic_tasks(app_config, using="default", **kwargs):
                from django_celery_beat.models import CrontabSchedule, PeriodicTask

                crontabs = {}
                crontabs["daily_morning"], _ = CrontabSchedule.objects.using(
                    using
                ).get_or_create(minute="0", hour="6")
                periodic_tasks = [
                    {"id": 8, "name": "Export", "task": "shop.tasks.report",
                     "crontab": crontabs["daily_morning"]},
                ]
                for task in periodic_tasks:
                    PeriodicTask.objects.using(using).create(**task)
            """,
    }
    assert _rows(tmp_path, files) == [
        ("Export", "shop.tasks.report", None, "0 6 * * *", "shop/apps.py", 10),
    ]


def test_rows_a_test_makes_are_fixtures(tmp_path):
    files = {
        "shop/__init__.py": "",
        "shop/tasks.py": TASKS,
        "shop/tests/test_admin.py": """
            from django_celery_beat.models import IntervalSchedule, PeriodicTask


            def test_view():
                every = IntervalSchedule.objects.create(every=1, period="days")
                PeriodicTask.objects.create(name="t", task="shop.tasks.sync", interval=every)
            """,
    }
    assert _rows(tmp_path, files) == []


def test_a_row_naming_a_task_of_a_projects_own_task_decorator(tmp_path):
    files = {
        "shop/__init__.py": "",
        "shop/celery.py": 'from celery import Celery\n\napp = Celery("shop")\n',
        "shop/tasks.py": """
            from shop.celery_tasks import shop_task


            @shop_task(name="history.export", bind=True)
            def export(self):
                pass
            """,
        "shop/setup.py": """
            from django_celery_beat.models import IntervalSchedule, PeriodicTask


            def ensure():
                every, _ = IntervalSchedule.objects.get_or_create(every=1, period="hours")
                PeriodicTask.objects.create(name="export", task="history.export", interval=every)
                PeriodicTask.objects.create(name="typo", task="history.exprot", interval=every)
            """,
    }
    found = findings(tmp_path, files, code="BGT032")
    assert [(f.location.line, "history.exprot" in f.message) for f in found] == [(8, True)]


def test_a_row_built_then_saved(tmp_path):
    files = {
        "shop/__init__.py": "",
        "shop/tasks.py": TASKS,
        "shop/setup.py": """
            from django_celery_beat.models import CrontabSchedule, PeriodicTask


            def ensure():
                at3, _ = CrontabSchedule.objects.get_or_create(minute="0", hour="3")
                task = PeriodicTask(name="nightly", task="shop.tasks.report", crontab=at3)
                task.save()
                PeriodicTask(name="sync", task="shop.tasks.sync", crontab=at3).save()


            def never_saved():
                draft = PeriodicTask(name="draft", task="shop.tasks.sync")
                return draft.name


            def saved_off():
                row = PeriodicTask(name="off", task="shop.tasks.sync", enabled=False)
                row.save()
            """,
        "shop/migrations/__init__.py": "",
        MIGRATION_PATH: """
            def create(apps, schema_editor):
                Beat = apps.get_model("django_celery_beat", "PeriodicTask")
                Beat.objects.bulk_create([Beat(name="bulk", task="shop.tasks.report")])


            class Migration(migrations.Migration):
                operations = [migrations.RunPython(create)]
            """,
    }
    assert _rows(tmp_path, files) == [
        ("bulk", "shop.tasks.report", None, None, MIGRATION_PATH, 4),
        ("nightly", "shop.tasks.report", None, "0 3 * * *", "shop/setup.py", 7),
        ("sync", "shop.tasks.sync", None, "0 3 * * *", "shop/setup.py", 9),
    ]


PER_OBJECT = """
    import json

    from django.db import models
    from django_celery_beat.models import PeriodicTask

    from shop.tasks import report, sync


    class Plugin(models.Model):
        def schedule_health_check(self):
            PeriodicTask.objects.update_or_create(
                name__iexact=f"{self.name}HealthCheck",
                task=f"{report.__module__}.{report.__name__}",
                defaults={
                    "name": f"{self.name}HealthCheck",
                    "crontab": self.health_check_schedule,
                    "kwargs": json.dumps({"plugin_pk": self.pk}),
                },
            )

        def schedule_update(self):
            PeriodicTask.objects.update_or_create(
                name=f"{self.name}Update",
                task=f"{report.__module__}.{report.__name__}",
                defaults={"crontab": self.update_schedule},
            )

        def schedule_by_name(self):
            PeriodicTask.objects.create(name=f"{self.name}Sync", task=f"{sync.__name__}")

        def schedule_unknown(self):
            PeriodicTask.objects.create(name=f"{self.name}Run", task=f"shop.tasks.{self.kind}")
            PeriodicTask.objects.create(name="fixed", task=f"{self.module}.{sync.__name__}")
    """


def test_rows_named_per_object_by_an_f_string(tmp_path):
    files = {
        "shop/__init__.py": "",
        "shop/tasks.py": TASKS,
        "shop/models.py": PER_OBJECT,
    }
    found = sorted(
        (r["line"], r["name"], r["target"], r.get("id_is_expression"))
        for r in records(tmp_path, files)
        if r["kind"] == "celery_beat"
    )
    assert found == [
        # the task is the function (`f.__module__` + `f.__name__` is its dotted name); no
        # name the code gives, one per object: the expression making it, as written
        (12, None, "shop.tasks.report", 'f"{self.name}HealthCheck"'),
        (23, None, "shop.tasks.report", 'f"{self.name}Update"'),
        (30, None, "sync", 'f"{self.name}Sync"'),  # the bare name, as the row holds it
        # a fixed name with a task known at run time only: the row is there, its task not
        (34, "fixed", 'f"{self.module}.{sync.__name__}"', None),
        # `f"shop.tasks.{self.kind}"` with a name per object: nothing known, not listed
    ]


def test_rows_named_per_object_are_no_duplicates(tmp_path):
    """Two rows per object of one task (or of one name expression) may differ at run time:
    neither BGT002 nor BGT003 (nor BGT001 against a beat entry of that task) is said."""
    files = {
        "shop/__init__.py": "",
        "shop/tasks.py": TASKS,
        "shop/models.py": PER_OBJECT,
        "shop/other.py": """
            from django_celery_beat.models import PeriodicTask

            from shop.tasks import report


            def again(plugin):
                PeriodicTask.objects.update_or_create(
                    name=f"{self.name}Update",
                    task=f"{report.__module__}.{report.__name__}",
                )
            """,
        "shop/celery.py": """
            from celery import Celery
            from celery.schedules import crontab

            app = Celery("shop")
            app.conf.beat_schedule = {
                "report": {"task": "shop.tasks.report", "schedule": crontab(minute="12")},
            }
            """,
    }
    rows = [r for r in records(tmp_path, files) if r["kind"] == "celery_beat"]
    # not merged as one row by the text of their names
    assert sum(r.get("id_is_expression") == 'f"{self.name}Update"' for r in rows) == 2
    for code in ("BGT001", "BGT002", "BGT003"):
        assert findings(tmp_path, files, code=code) == []


def test_a_row_per_object_is_not_another_schedulers_job(tmp_path):
    files = {
        "shop/__init__.py": "",
        "shop/tasks.py": TASKS,
        "shop/models.py": PER_OBJECT,
        "shop/sched.py": """
            from apscheduler.schedulers.background import BackgroundScheduler

            from shop.tasks import report

            scheduler = BackgroundScheduler()
            scheduler.add_job(report, "interval", minutes=5, id="report")
            """,
    }
    assert findings(tmp_path, files, code="BGT001") == []
    # a fixed beat entry of that task is (the near miss)
    files["shop/celery.py"] = """
        from celery import Celery
        from celery.schedules import crontab

        app = Celery("shop")
        app.conf.beat_schedule = {
            "report": {"task": "shop.tasks.report", "schedule": crontab(minute="12")},
        }
        """
    assert [f.location.file for f in findings(tmp_path, files, code="BGT001")] == [
        "shop/celery.py",
        "shop/sched.py",
    ]


def test_a_migration_function_no_operation_runs_writes_no_row(tmp_path):
    # finmars-core: `# migrations.RunPython(create_crontab_task, ...)` commented out
    commented = MIGRATION.replace(
        "operations = [migrations.RunPython(create)]", "operations = []  # RunPython(create)"
    )
    assert commented != MIGRATION
    files = {
        "shop/__init__.py": "",
        "shop/migrations/__init__.py": "",
        MIGRATION_PATH: commented,
        "shop/tasks.py": TASKS,
    }
    assert _rows(tmp_path, files) == []


def test_a_migration_function_defined_in_the_migration_class_writes_its_row(tmp_path):
    in_class = """
        from django.db import migrations


        class Migration(migrations.Migration):
            def create_rows(apps, schema_editor):
                PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
                PeriodicTask.objects.create(name="sync", task="shop.tasks.sync")

            operations = [migrations.RunPython(create_rows)]
        """
    files = {
        "shop/__init__.py": "",
        "shop/migrations/__init__.py": "",
        MIGRATION_PATH: in_class,
        "shop/tasks.py": TASKS,
    }
    assert [row[0] for row in _rows(tmp_path, files)] == ["sync"]
