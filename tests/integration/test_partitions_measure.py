"""`mqctl partitions calc --measure` on the real local cluster: a real probe topic, really deleted."""

from __future__ import annotations

import json
import math
import re
from typing import Any

import pytest

from mqctl.calc import BYTES_PER_MB
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


def _number(text: str) -> float:
    return float(text.replace(",", ""))


def test_measure_text_output_explains_the_measurement(project: Project, dev_admin: Any) -> None:
    """The figures printed are a real measurement and the calculation uses them: messages counted,
    rates that are those counts over the times shown, MB/s from the message size, the same rate as
    the per-partition throughput, and the partitions that rate gives (target 10,000,000 msg/s, far
    above what one local partition carries, so the throughput term decides)."""
    res = project.run(
        "partitions", "calc", "--measure", "--env", project.env, "--measure-seconds", "1",
        "--target-throughput", "10000000", "--max-consumers", "2",
    )
    assert res.exit_code == 0, res.output
    assert f"measured on {project.env}.mqctl.probe-" in res.stdout
    assert "1024-byte random messages" in res.stdout
    number = r"([\d,]+(?:\.\d+)?)"
    rates = {
        what: tuple(_number(n) for n in found)
        for what, *found in re.findall(
            rf"^  (produce|consume)  {number} msgs in {number}s = {number} msg/s, {number} MB/s$", res.stdout, re.M
        )
    }
    assert set(rates) == {"produce", "consume"}, res.stdout
    for count, seconds, per_second, mb in rates.values():
        assert count > 0 and seconds > 0
        assert per_second == pytest.approx(count / seconds, rel=0.01)  # the seconds are shown rounded
        assert mb == pytest.approx(per_second * 1024 / BYTES_PER_MB, abs=0.01)
    assert rates["consume"][0] == rates["produce"][0]  # every message produced was read back
    (term,) = re.findall(
        rf"^throughput term  ceil\(10,000,000 msg/s \(10,240\.00 MB/s\) / {number} msg/s per partition "
        rf"\({number} MB/s\)\) = ceil\({number}\) = (\d+)$",
        res.stdout, re.M,
    )  # fmt: skip
    per_partition, mb, ratio, partitions = _number(term[0]), _number(term[1]), _number(term[2]), int(term[3])
    assert per_partition == pytest.approx(rates["produce"][2], rel=0.01)
    assert mb == rates["produce"][3]
    assert ratio == pytest.approx(10_000_000 / per_partition, rel=0.01)
    assert partitions == math.ceil(ratio) > 2  # the ratio as printed (the rate shown is rounded)
    answer = [line for line in res.stdout.splitlines() if not line.startswith("warning:")]
    assert answer[-1] == f"partitions       {partitions}"  # then the warnings about the cluster's size
    assert eventually(lambda: not any(t.startswith(f"{project.env}.") for t in _topics(dev_admin)))


def test_measure_on_an_unreachable_cluster_is_a_readable_error(offline_project: Project) -> None:
    """The probe goes through the one Kafka transport: a bootstrap broker that refuses the connection
    ends it at the first contact in the words of every other command (`cluster info` here), not after
    the environment's 15 s timeout."""
    res = offline_project.run(
        "partitions", "calc", "--measure", "--env", offline_project.env, "--measure-seconds", "1",
        "--target-throughput", "1000", "--max-consumers", "2",
    )
    info = offline_project.run("cluster", "info", "--env", offline_project.env)
    assert res.exit_code == info.exit_code == 1
    reason = f"cannot reach Kafka environment '{offline_project.env}' at 127.0.0.1:1 (1 bootstrap broker tried;"
    assert reason in res.stderr and reason in info.stderr
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
