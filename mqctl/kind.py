"""The resource-kind protocol: what one package under `mqctl/kinds/` provides, typed by the kind's
declared resource (`D`) and its live snapshot (`L`).

Every workflow (validate, plan, apply, export) walks the kinds registry (`mqctl.kinds.KINDS`) and
calls these methods; none of them names a kind. A kind's package holds its spec model and JSON
Schema, builder, change types, pure diff, snapshot and executors (its calls to Kafka, the registry
or Connect), exporter and any commands of its own. Heavy modules (the Kafka clients) are imported
inside `snapshot`/`executors`/`export`, so offline commands never load them; `import_admin_modules`
loads them before a snapshot, one thread at a time.
"""

from __future__ import annotations

import dataclasses
import importlib
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar, cast

if TYPE_CHECKING:  # a kind's heavy parts load when it is used: the registry itself imports cheaply
    import typer

    from mqctl.config import Environment
    from mqctl.diagnostics import Diagnostic
    from mqctl.edges import Edges
    from mqctl.exporting import Export, ExportContext
    from mqctl.plan import Change
    from mqctl.spec.model import Source, SpecContext
    from mqctl.spec.overlay import SpecLabels
    from mqctl.yamlsource import YamlDocument

D = TypeVar("D")  # one declared resource (a spec item)
L = TypeVar("L")  # the kind's live snapshot
C = TypeVar("C", bound="Change")

Results = dict[str, str | None]  # what an executor reports: change name -> None when done, else why not
Executor = Callable[[Sequence["Change"], bool], Results]  # (changes of one type, validate_only) -> results


def executor(change_type: type[C], run: Callable[[Sequence[C], bool], Results]) -> tuple[type[Change], Executor]:
    """An entry of a kind's executor table: `run` takes the changes of `change_type` only (apply
    groups a plan's changes by type before calling it)."""

    def call(changes: Sequence[Change], validate_only: bool) -> Results:
        typed = [c for c in changes if isinstance(c, change_type)]
        if len(typed) != len(changes):
            raise TypeError(f"executor for {change_type.__name__} got other changes")
        return run(typed, validate_only)

    return change_type, call


_IMPORTING = threading.Lock()


def import_admin_modules(kinds: Sequence[Kind[Any, Any]]) -> None:
    """Import the kinds' `admin` modules (their snapshots and executors, and with them the client
    libraries), one thread at a time. Reads run on threads (a plan's snapshot beside the spec parse,
    `--all-envs` one environment per thread), and CPython does not always survive two threads
    importing the same packages from different modules at once: its import-deadlock detection
    hands one of them a partly initialised module or raises `_DeadlockError`. Measured: eight
    threads importing every kind's admin module, each in its own order, with importlib instead of
    this function (tests/unit/test_kind_imports.py's script), failed in 16 of 20 processes on
    CPython 3.11 and 5 of 10 on 3.13; through this function in none. The fuzz
    test's in-process plans (one thread still importing when the next plan started) failed with
    "module 'kafka' has no attribute 'errors'"."""
    with _IMPORTING:
        for kind in kinds:
            importlib.import_module(kind.admin_module)


class ChangeTypes:
    """A kind's `changes`, imported from its changes module on first use. The registry, and so
    every command down to `mqctl --help`, imports every kind package; change types are dataclasses,
    which take time to create. In a kind's package: `changes = ChangeTypes(f"{__name__}.changes")`
    (that module's `CHANGES`)."""

    def __init__(self, module: str) -> None:
        self.module = module

    def __get__(self, instance: object, owner: type | None = None) -> tuple[type[Change], ...]:
        found: tuple[type[Change], ...] = importlib.import_module(self.module).CHANGES
        return found


def _no_labels() -> SpecLabels:
    """An empty SpecLabels (the overlay module loads with the specs, not with the registry)."""
    from mqctl.spec.overlay import SpecLabels

    return SpecLabels()


@dataclass(frozen=True)
class DesiredState:
    """Everything the spec files of one environment ask for, per kind."""

    env: str
    folders: frozenset[str] = frozenset()  # spec folders present: the kinds under management
    items: Mapping[str, tuple[object, ...]] = field(default_factory=dict)
    labels: SpecLabels = field(default_factory=_no_labels)  # `labels:` of the spec files, by Source
    _views: dict[str, list[ResourceView]] = field(default_factory=dict, compare=False, repr=False)

    def of(self, kind: Kind[D, Any]) -> tuple[D, ...]:
        """The declared resources of `kind` (empty when it declares none)."""
        return cast(tuple[D, ...], self.items.get(kind.name, ()))

    def manages(self, kind: Kind[Any, Any]) -> bool:
        return kind.name in self.folders

    def views(self, kind: Kind[Any, Any]) -> list[ResourceView]:
        """The declared resources of `kind` as plain views (labels included), made once."""
        if kind.name not in self._views:
            self._views[kind.name] = [kind.view(item, self.labels) for item in self.of(kind)]
        return self._views[kind.name]

    def resource_count(self) -> int:
        """How many resources the specs declare, over every kind."""
        return sum(len(v) for v in self.items.values())


_SCALARS = (str, int, float, bool, type(None))


_FIELD_NAMES: dict[type, tuple[str, ...] | None] = {}


def _field_names(cls: type) -> tuple[str, ...] | None:
    """A dataclass's field names (None for other types), looked up once per type."""
    if cls not in _FIELD_NAMES:
        _FIELD_NAMES[cls] = tuple(f.name for f in dataclasses.fields(cls)) if dataclasses.is_dataclass(cls) else None
    return _FIELD_NAMES[cls]


def plain(value: Any) -> Any:
    """`value` as plain data (dict, list, str, int, float, bool, None): dataclasses field by field,
    mappings as dicts, tuples and sets as lists."""
    if isinstance(value, _SCALARS):
        return value
    names = _field_names(type(value))
    if names is not None:
        return {name: plain(getattr(value, name)) for name in names}
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [plain(v) for v in value]
        return sorted(items, key=str) if isinstance(value, (set, frozenset)) else items
    return value


@dataclass(frozen=True)
class ResourceView:
    """A declared resource as policies, plan labels and `--target` see it: plain data only."""

    kind: str  # the kind's name (its spec folder)
    name: str  # as written, without the environment: what policy `match` and `--target` globs see
    address: str  # the name its changes carry in a plan (`prod.order.created.v1`)
    source: Source | None  # where the specs declare it
    labels: Mapping[str, str]
    data: Mapping[str, Any]  # `resource` in a CEL policy, and what built-in rules read (labels included)


class Snapshots:
    """The live snapshots of one run, per kind."""

    def __init__(self, by_name: Mapping[str, object] | None = None) -> None:
        self._by_name = dict(by_name or {})

    def of(self, kind: Kind[Any, L]) -> L:
        return cast(L, self._by_name[kind.name])

    def has(self, kind: Kind[Any, Any]) -> bool:
        return kind.name in self._by_name

    def items(self) -> list[tuple[str, object]]:
        return sorted(self._by_name.items())


class Kind(ABC, Generic[D, L]):
    """One resource kind. Subclasses are stateless singletons registered in `mqctl.kinds.KINDS`."""

    name: ClassVar[str]  # the spec folder (`topics/`) and the kind's key everywhere
    schema: ClassVar[str]  # its JSON Schema: `<schema>.schema.json` in the kind's package
    changes: ClassVar[tuple[type[Change], ...]]  # its change types, in execution order within the kind
    # Its specs describe the cluster's own configuration rather than an environment's resources:
    # `mqctl cluster health` reports what its plan would change as drift (brokers/).
    health_drift: ClassVar[bool] = False

    @property
    def admin_module(self) -> str:
        """The module of the kind's snapshot and executors: `admin` in its package."""
        return f"{type(self).__module__}.admin"

    @property
    def schema_package(self) -> str:
        """The package holding the JSON Schema: the kind's own (kinds are defined in its __init__)."""
        return type(self).__module__

    # --- specs (pure) ---------------------------------------------------------------------------

    @abstractmethod
    def build(self, docs: Sequence[YamlDocument], ctx: SpecContext) -> tuple[list[D], list[Diagnostic]]:
        """The declared resources of schema-checked documents, and every problem found."""

    def check(self, desired: DesiredState) -> list[Diagnostic]:
        """Rules across kinds, once every kind is built (e.g. an ACL on an undeclared topic)."""
        return []

    def describe(self, item: D) -> dict[str, Any]:
        """One declared resource as plain data, for policies (`resource.partitions` in CEL). By
        default every dataclass field but `source`, plus a `name` property; a kind overrides it
        when its model does not read well as it is. Needs `name`; `full_name` when the plan names
        the resource differently (with the environment prefix)."""
        data: dict[str, Any] = plain(item)
        data.pop("source", None)
        if "name" not in data:
            data["name"] = str(getattr(item, "name", item))
        return data

    def view(self, item: D, labels: SpecLabels) -> ResourceView:
        """What policies, labels and `--target` work on; built from `describe` (rarely overridden)."""
        from mqctl.spec.model import Source

        data = self.describe(item)
        source = getattr(item, "source", None)
        source = source if isinstance(source, Source) else None
        own = labels.of(source)
        name = str(data["name"])
        return ResourceView(self.name, name, str(data.get("full_name", name)), source, own, {**data, "labels": own})

    # --- the cluster ----------------------------------------------------------------------------

    def unavailable(self, env: Environment) -> str | None:
        """Why this environment cannot hold the kind (e.g. no registry configured), or None."""
        return None

    @abstractmethod
    def snapshot(self, edges: Edges) -> L:
        """The live state of the kind in this environment, in a constant number of requests."""

    @abstractmethod
    def managed(self, live: L) -> int:
        """How many live resources the environment manages: the base of the plan's fractions."""

    @abstractmethod
    def diff(self, desired: DesiredState, live: L, env: Environment) -> tuple[list[Change], list[Diagnostic]]:
        """Pure: the changes that make `live` match `desired`, and what blocks them."""

    @abstractmethod
    def executors(self, edges: Edges) -> Mapping[type[Change], Executor]:
        """How each of the kind's change types is carried out (and dry-run with validate_only)."""

    # --- adoption and commands ------------------------------------------------------------------

    @abstractmethod
    def export(self, snapshots: Snapshots, ctx: ExportContext) -> Export:
        """Spec files that declare exactly what the snapshot holds, so a plan from them is empty."""

    def commands(self) -> Sequence[tuple[str, Callable[[], typer.Typer]]]:
        """The kind's own command groups (`mqctl brokers check`) as (name, loader): the CLI calls
        a loader, which imports the group's module, only when that command runs (or for --help)."""
        return ()
