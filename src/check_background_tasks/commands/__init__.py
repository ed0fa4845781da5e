"""One module per command, each imported only when its command runs (see cli.py).

A module defines `command`, a click command; its heavy imports stay inside the function
so that `--help` and usage errors cost only click."""
