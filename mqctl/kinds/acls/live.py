"""The ACLs of one environment's cluster as plain values, read once per plan before diffing.

Kept apart from the spec model (model.py) so that `validate`, which never reads a cluster, does not
build these classes.
"""

from __future__ import annotations

from dataclasses import dataclass

from mqctl.kinds.acls.model import AclBinding


@dataclass(frozen=True)
class LiveAcls:
    """Every binding on the cluster, and whether ACLs are on at all (no authorizer: no bindings)."""

    bindings: frozenset[AclBinding]  # every binding on the cluster
    authorizer: str  # the brokers' authorizer.class.name; empty when ACLs are off
