"""Topics: partitions, replication factor (moved by throttled reassignment), configs, deletion.

Importing the package is cheap (the registry imports every kind for `mqctl --help`): the spec,
diff and cluster modules load inside the methods that use them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from mqctl.kind import ChangeTypes, Kind

if TYPE_CHECKING:
    from mqctl.config import Environment
    from mqctl.diagnostics import Diagnostic
    from mqctl.edges import Edges
    from mqctl.exporting import Export, ExportContext
    from mqctl.kind import DesiredState, Executor, Snapshots
    from mqctl.kinds.topics.live import LiveTopics
    from mqctl.kinds.topics.spec import TopicSpec
    from mqctl.plan import Change
    from mqctl.spec.model import SpecContext
    from mqctl.yamlsource import YamlDocument

__all__ = ["KIND", "TopicsKind"]


NAME = "topics"  # the spec folder and the kind's key (its change types' `kind`)


class TopicsKind(Kind["TopicSpec", "LiveTopics"]):
    name = NAME
    schema = "topics"
    changes = ChangeTypes(f"{__name__}.changes")

    def build(self, docs: Sequence[YamlDocument], ctx: SpecContext) -> tuple[list[TopicSpec], list[Diagnostic]]:
        from mqctl.kinds.topics.spec import build_topics

        return build_topics(docs, ctx)

    def describe(self, item: TopicSpec) -> dict[str, Any]:
        """The default view without `partitions_line`, which says where the spec is, not what it is."""
        data = super().describe(item)
        data.pop("partitions_line", None)
        return data

    def snapshot(self, edges: Edges) -> LiveTopics:
        from mqctl.kinds.topics.admin import TopicAdmin

        return edges.service(TopicAdmin).snapshot(edges.env.prefix)

    def managed(self, live: LiveTopics) -> int:
        return len(live.topics)

    def diff(self, desired: DesiredState, live: LiveTopics, env: Environment) -> tuple[list[Change], list[Diagnostic]]:
        from mqctl.kinds.topics.diff import diff_topics

        return diff_topics(desired.of(self), live, env.prefix, env.policy.protected_topics, env.policy.placement)

    def executors(self, edges: Edges) -> Mapping[type[Change], Executor]:
        from mqctl.kinds.topics.admin import TopicAdmin

        return edges.service(TopicAdmin).executors()

    def export(self, snapshots: Snapshots, ctx: ExportContext) -> Export:
        from mqctl.kinds.topics.export import export_topics

        return export_topics(snapshots.of(self), ctx)


KIND = TopicsKind()
