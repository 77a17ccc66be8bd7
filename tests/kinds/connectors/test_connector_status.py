"""`connectors status` from plain status data: what counts as failed, what a failure shows."""

from __future__ import annotations

from mqctl.connect import ConnectorStatus, TaskStatus
from mqctl.kinds.connectors.status import status_report

TRACE = (
    "org.apache.kafka.connect.errors.ConnectException: cannot log in with pw-in-trace-123\n"
    "\tat org.apache.kafka.connect.file.FileStreamSinkTask.start(FileStreamSinkTask.java:70)\n"
)


def status(name: str, state: str, *tasks: TaskStatus, trace: str | None = None) -> ConnectorStatus:
    config = {"connector.class": "FileStreamSink", "db.password": "pw-in-trace-123", "topics": "dev.a.v1"}
    return ConnectorStatus(name, "sink", config, state, "127.0.0.1:8083", trace, tasks)


def test_a_failed_task_makes_the_report_failed_with_the_first_line_of_its_trace_masked() -> None:
    statuses = {
        "dev.a": status("dev.a", "RUNNING", TaskStatus(0, "RUNNING"), TaskStatus(1, "FAILED", "w1", TRACE)),
        "dev.b": status("dev.b", "PAUSED", TaskStatus(0, "PAUSED")),
        "other.c": status("other.c", "FAILED", trace=TRACE),  # another environment's: not reported
    }
    report = status_report("dev", "dev.", statuses)
    assert report.failed
    assert [c.name for c in report.connectors] == ["dev.a", "dev.b"]
    (failed,) = report.connectors[0].failed
    assert (failed.what, failed.state, failed.worker) == ("task 1", "FAILED", "w1")
    assert failed.error == "org.apache.kafka.connect.errors.ConnectException: cannot log in with ***"
    assert report.to_dict()["connectors"][0]["tasks"][1]["error"] == failed.error  # type: ignore[index]


def test_nothing_failed_and_a_connector_without_status_reads_unassigned() -> None:
    report = status_report("dev", "dev.", {"dev.a": ConnectorStatus("dev.a", "source", {})})
    assert not report.failed
    assert report.connectors[0].instances[0].state == "UNASSIGNED"


def test_a_failed_connector_counts_and_control_characters_are_made_visible() -> None:
    report = status_report("dev", "dev.", {"dev.a": status("dev.a", "FAILED", trace="Boom \x1b[31mred\x07\nat x")})
    assert report.failed
    assert report.connectors[0].instances[0].error == "Boom \\x1b[31mred\\x07"
