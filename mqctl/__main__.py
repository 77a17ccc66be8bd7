"""The `mqctl` command and `python -m mqctl`: set the run's garbage-collector thresholds, then load
and run the CLI.

The thresholds are set here, before anything else is imported, because importing is a run's first
burst of allocation: without them the collector ran 92 young and 8 older collections while a plan
imported its libraries (15 ms of ~200 ms), and 25 while `validate` did (4 ms), measured."""

import gc
from typing import NoReturn

# The cyclic garbage collector's thresholds for a run (CPython's default: 700, 10, 10), as mypy
# sets them for its builds. A run imports thousands of classes and functions, then decodes large
# responses into many small objects that live until it has read them (10,000 partitions' offsets,
# 330,000 config entries), and almost nothing it frees is a cycle: at 700 the collector walks the
# young objects every 700 allocations, and the older generations, which by then hold every module
# and the whole response, again and again. Cycles are still collected.
GC_THRESHOLDS = (200_000, 30, 30)


def main() -> NoReturn:
    """Run the command of sys.argv and leave (mqctl.cli.main)."""
    gc.set_threshold(*GC_THRESHOLDS)
    from mqctl.cli import main as run_cli  # after the thresholds: see the module's docstring

    run_cli()


if __name__ == "__main__":
    main()
