"""Topics: partitions, replication factor (moved by throttled reassignment), configs, deletion."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from mqctl.config import Environment
from mqctl.diagnostics import Diagnostic
from mqctl.kind import DesiredState, Executor, Kind, Snapshots
from mqctl.kinds.topics.changes import CHANGES, NAME
from mqctl.kinds.topics.diff import diff_topics
from mqctl.kinds.topics.live import LiveTopics
from mqctl.kinds.topics.spec import TopicSpec, build_topics
from mqctl.plan import Change
from mqctl.spec.model import SpecContext
from mqctl.yamlsource import YamlDocument

if TYPE_CHECKING:
    from mqctl.edges import Edges
    from mqctl.exporting import Export, ExportContext

__all__ = ["KIND", "TopicSpec", "TopicsKind"]


class TopicsKind(Kind[TopicSpec, LiveTopics]):
    name = NAME
    schema = "topics"
    changes = CHANGES

    def build(self, docs: Sequence[YamlDocument], ctx: SpecContext) -> tuple[list[TopicSpec], list[Diagnostic]]:
        return build_topics(docs, ctx)

    def snapshot(self, edges: Edges) -> LiveTopics:
        from mqctl.kinds.topics.admin import TopicAdmin

        return edges.service(TopicAdmin).snapshot(edges.env.prefix)

    def managed(self, live: LiveTopics) -> int:
        return len(live.topics)

    def diff(self, desired: DesiredState, live: LiveTopics, env: Environment) -> tuple[list[Change], list[Diagnostic]]:
        return diff_topics(desired.of(self), live, env.prefix, env.policy.protected_topics, env.policy.placement)

    def executors(self, edges: Edges) -> Mapping[type[Change], Executor]:
        from mqctl.kinds.topics.admin import TopicAdmin

        return edges.service(TopicAdmin).executors()

    def export(self, snapshots: Snapshots, ctx: ExportContext) -> Export:
        from mqctl.kinds.topics.export import export_topics

        return export_topics(snapshots.of(self), ctx)


KIND = TopicsKind()
