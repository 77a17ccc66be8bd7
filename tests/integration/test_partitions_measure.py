"""`mqctl partitions calc --measure` on the real local cluster: a real probe topic, really deleted."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import Project, eventually

pytestmark = pytest.mark.kafka


def _topics(admin: Any) -> set[str]:
    return set(admin.list_topics(timeout=10).topics)


def test_measure_reports_rates_uses_them_and_deletes_the_probe(project: Project, dev_admin: Any) -> None:
    res = project.run(
        "partitions", "calc", "--measure", "--env", project.env, "--measure-seconds", "1",
        "--message-size", "256", "--target-throughput", "1000000", "--max-consumers", "3",
        "--brokers", "3", "--round-to-brokers", "-o", "json",
    )
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    probe = data["measurement"]
    assert probe["topic"].startswith(f"{project.env}.mqctl.probe-")
    assert probe["replication_factor"] == 3
    assert probe["message_size"] == 256
    assert probe["produced"] > 0
    assert probe["consumed"] == probe["produced"]
    assert probe["produce_msgs_per_s"] > 0 and probe["consume_msgs_per_s"] > 0
    assert probe["produce_mb_per_s"] > 0 and probe["consume_mb_per_s"] > 0
    assert probe["producer_settings"]["acks"] == "all"
    assert probe["producer_settings"]["compression.type"] == "lz4"
    assert probe["producer_settings"]["batch.size"] == "65536"
    assert probe["producer_settings"]["enable.idempotence"] == "true"
    assert probe["brokers"] == 4  # the dev cluster's brokers, which the guidance warnings are measured against
    assert data["warnings"] == [w for w in data["warnings"] if "per broker" in w or "per cluster" in w]
    # The measured produce rate is the per-partition throughput of the calculation.
    assert data["partition_throughput"] == pytest.approx(probe["produced"] / probe["produce_seconds"])
    assert data["partitions"] % 3 == 0
    assert data["partitions"] >= max(data["throughput_term"], 3)
    assert eventually(lambda: not any(t.startswith(f"{project.env}.") for t in _topics(dev_admin)))


def test_measure_text_output_explains_the_measurement(project: Project, dev_admin: Any) -> None:
    res = project.run(
        "partitions", "calc", "--measure", "--env", project.env, "--measure-seconds", "1",
        "--target-throughput", "1000", "--max-consumers", "2",
    )
    assert res.exit_code == 0, res.output
    assert f"measured on {project.env}.mqctl.probe-" in res.stdout
    assert "1024-byte random messages" in res.stdout
    assert "msg/s" in res.stdout and "MB/s" in res.stdout
    assert res.stdout.splitlines()[-1].startswith("partitions")
    assert eventually(lambda: not any(t.startswith(f"{project.env}.") for t in _topics(dev_admin)))


def test_measure_on_an_unreachable_cluster_is_a_readable_error(offline_project: Project) -> None:
    res = offline_project.run(
        "partitions", "calc", "--measure", "--env", offline_project.env, "--measure-seconds", "1",
        "--target-throughput", "1000", "--max-consumers", "2",
    )
    assert res.exit_code == 1
    assert "cannot reach Kafka environment" in res.stderr
    assert "Traceback" not in res.output


def test_ctrl_c_during_the_run_still_deletes_the_probe(
    project: Project, dev_admin: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mqctl.kafka import probe

    seen: list[str] = []

    def interrupted(self: Any, expected: int) -> tuple[int, float]:
        seen.append(self.topic)
        assert self.topic in _topics(dev_admin)  # the probe topic really existed
        raise KeyboardInterrupt

    monkeypatch.setattr(probe._Probe, "consume", interrupted)
    res = project.run(
        "partitions", "calc", "--measure", "--env", project.env, "--measure-seconds", "1",
        "--target-throughput", "1000", "--max-consumers", "2",
    )
    assert res.exit_code == 130
    assert "interrupted" in res.stderr
    assert seen and eventually(lambda: seen[0] not in _topics(dev_admin))
