"""check-background-tasks: inventory and lint of scheduled and background jobs."""

__version__ = "0.1.0"
