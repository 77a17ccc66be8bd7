"""Exporting connectors from plain live data: secrets become placeholders, and a plan from the export
(with the variables set to the live values) is empty."""

from __future__ import annotations

import re
from pathlib import Path

from mqctl.config import Environment
from mqctl.exporting import ExportContext, Selection
from mqctl.kinds.connectors.diff import diff_connectors
from mqctl.kinds.connectors.export import export_connectors
from mqctl.kinds.connectors.live import LiveConnector
from tests.conftest import load_files

JAAS = 'org.apache.kafka.common.security.scram.ScramLoginModule required username="mm" password="mm-pw-123";'


def live() -> dict[str, LiveConnector]:
    mirror = {
        "topics": r"dev\.order\..*",
        "target.cluster.sasl.jaas.config": JAAS,
        "ssl.key.password": "${file:/etc/secrets.properties:key}",
        "source.cluster.bootstrap.servers": "dev.kafka:9092",
    }
    archive = {"topics": "dev.order.lifecycle.v1,dev.payment.success.v1", "file": "/data/a.txt"}
    odd = {"note": "${NOT_A_VARIABLE_OF_OURS}"}
    return {
        "dev.mirror": LiveConnector("dev.mirror", "MirrorSourceConnector", "2", "running", tuple(mirror), mirror),
        "dev.archive": LiveConnector("dev.archive", "FileStreamSink", "1", "paused", tuple(archive), archive),
        "dev.odd": LiveConnector("dev.odd", "FileStreamSink", "1", "running", tuple(odd), odd),
        "dev.skipped": LiveConnector("dev.skipped", "FileStreamSink", "1", "running", (), {}),
    }


def context(exclude: tuple[str, ...] = ()) -> ExportContext:
    return ExportContext(Environment("dev", "127.0.0.1:1"), re.compile(".*"), Selection((), exclude))


def test_secrets_are_placeholders_and_names_follow_the_environment() -> None:
    result = export_connectors(live(), context(("skipped",)))
    (file,) = result.files
    assert file.path == "connectors/connectors.yaml"
    assert "mm-pw-123" not in file.text
    assert "${MIRROR_TARGET_CLUSTER_SASL_JAAS_CONFIG}" in file.text
    assert result.variables == ["MIRROR_TARGET_CLUSTER_SASL_JAAS_CONFIG"]
    assert "${file:/etc/secrets.properties:key}" in file.text  # resolved by the worker: kept
    assert r"${env}\.order\..*" in file.text and "${env}.payment.success.v1" in file.text
    assert "dev.kafka:9092" in file.text  # not a topic or group key: left as it is
    assert "state: paused" in file.text
    assert result.left_out == ["dev.skipped"]
    assert any("dev.odd is not exported" in note for note in result.notes)


def test_a_plan_from_the_export_is_empty(tmp_path: Path) -> None:
    found = live()
    del found["dev.odd"]
    result = export_connectors(found, context())
    desired, problems = load_files(tmp_path, {f.path: f.text for f in result.files}, "dev")
    assert problems == []
    changes, problems = diff_connectors(
        desired.items["connectors"], found, "dev", {"MIRROR_TARGET_CLUSTER_SASL_JAAS_CONFIG": JAAS}  # type: ignore[arg-type]
    )
    assert (changes, problems) == ([], [])
