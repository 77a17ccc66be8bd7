"""A pytest plugin for the full run CI makes (`make test` loads it with `-p tests.strict_run`):
the run fails when any test was skipped, or when fewer integration tests ran than were collected
(a `-k`, a deselect or a crash that quietly left the cluster tests out). A green run then means
every test ran, including every test that talks to the real cluster."""

from __future__ import annotations

import pytest

CLUSTER_MARKERS = ("kafka", "sasl", "registry")


class StrictRun:
    def __init__(self) -> None:
        self.collected = 0  # integration tests collected
        self.ran = 0  # integration tests whose call phase ran (passed or failed)
        self.skipped: list[str] = []

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        self.collected = sum(1 for item in items if _integration(item))

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.skipped:
            self.skipped.append(report.nodeid)
        elif report.when == "call" and "integration" in report.keywords:
            self.ran += 1

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        problems = []
        if self.skipped:
            problems.append(f"{len(self.skipped)} test(s) skipped: {', '.join(self.skipped[:10])}")
        if self.ran < self.collected:
            problems.append(f"only {self.ran} of the {self.collected} integration tests collected ran")
        if problems:
            reporter = session.config.pluginmanager.get_plugin("terminalreporter")
            if reporter is not None:
                reporter.ensure_newline()
                for problem in problems:
                    reporter.write_line(f"strict run: {problem}", red=True)
            session.exitstatus = pytest.ExitCode.TESTS_FAILED


def _integration(item: pytest.Item) -> bool:
    if any(item.get_closest_marker(name) for name in CLUSTER_MARKERS):
        item.add_marker(pytest.mark.integration)
        return True
    return False


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "integration: talks to the local cluster (set from kafka/sasl/registry)")
    config.pluginmanager.register(StrictRun(), "mqctl-strict-run")
