"""Imports point one way, through small public surfaces, and every one is declared.

The layers, lowest first; a module may import its own package and the layers below,
never a layer above nor another package of its own layer:

    tongban (the core)
    connectors, expectations, license_vault
    exchange (its cases, outbox, federation, supervision, reports)
    console, sandbox
    dags, cli (the composition roots: each may import everything below; nothing imports them)

A package reaches another through that package's surface: its ``__init__`` (or a
sub-package's), a part of the core (``tongban.errors``, ``tongban.store``, ...), or one of
the few modules in ``SUB_SURFACES``; and only for names the surface lists in ``__all__``.
A private module or name (``_text``, ``_helper``) is imported only from inside the
package that holds it.

The walk reads the source (ast), runs none of it, and counts every import: at the top,
inside a function and under ``TYPE_CHECKING`` alike.
"""

from __future__ import annotations

import ast
import importlib
import importlib.metadata
import re
import sys
import tomllib
from collections.abc import Iterator
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LAYERS: list[set[str]] = [
    {"tongban"},
    {"connectors", "expectations", "license_vault"},
    {"exchange"},
    {"console", "sandbox"},
    {"dags", "cli"},
]
PACKAGES = ["tongban", "connectors", "expectations", "license_vault", "exchange", "console",
            "sandbox", "dags", "cli"]  # fmt: skip

# Imports that break the order today, each with why it remains. The next step of the
# ingest refactor (options as one typed object, built by the composition roots) empties it.
ALLOWED: dict[tuple[str, str], str] = {
    ("connectors.quality", "expectations"): (
        "the sync builds its own data-quality gate; it moves out once the CLI and the DAGs"
        " hand the sync its gate with the rest of its options"
    ),
    ("connectors.quality", "license_vault.catalog"): (
        "the license suite checks license type codes against the vault's catalog; it goes"
        " with the gate above"
    ),
}

# Modules other packages may import from besides the packages' ``__init__``, each with why
# it is a surface of its own rather than names on its package's.
SUB_SURFACES: dict[str, str] = {
    "license_vault.jws": "compact JWS, which the exchange's answers and peer assertions speak",
    "license_vault.pki": "certificate fingerprints and PEM, which peer hubs exchange",
    "license_vault.http": "the vault's routes (verify, TSA, OCSP), which the exchange mounts",
    "exchange.cases.cli": "the case command groups, which the tongban command mounts",
    "sandbox.levels": "the province, city and county hubs a federation is tried out on",
}


def layer(module: str) -> int:
    name = module.split(".")[0]
    return next(i for i, members in enumerate(LAYERS) if name in members)


def module_name(path: Path) -> str:
    name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
    return name.removesuffix(".__init__")


def source_of(module: str) -> Path | None:
    """The file of one of our modules (a package's ``__init__.py``), or None."""
    base = ROOT.joinpath(*module.split("."))
    for path in (base / "__init__.py", base.with_suffix(".py")):
        if path.is_file():
            return path
    return None


def imports(path: Path) -> Iterator[tuple[int, str, list[str]]]:
    """(line, module imported, names imported from it) for every import in ``path``."""
    this = module_name(path)
    package = this if path.name == "__init__.py" else this.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name, []
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join([*base, *([node.module] if node.module else [])])
            else:
                target = node.module or ""
            yield node.lineno, target, [alias.name for alias in node.names]


def our_modules() -> Iterator[tuple[Path, str]]:
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path, module_name(path)


def project_imports() -> Iterator[tuple[str, int, str, list[str]]]:
    """(importing module, line, imported module, names) for imports between our packages."""
    for path, this in our_modules():
        for line, target, names in imports(path):
            if target.split(".")[0] in PACKAGES and target.split(".")[0] != this.split(".")[0]:
                yield this, line, target, names


@cache
def declared_all(module: str) -> tuple[str, ...] | None:
    """The names a module lists in ``__all__`` (read from its source), or None."""
    path = source_of(module)
    if path is None:
        return None
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        targets = node.targets if isinstance(node, ast.Assign) else (
            [node.target] if isinstance(node, ast.AnnAssign) else [])  # fmt: skip
        if any(isinstance(t, ast.Name) and t.id == "__all__" for t in targets):
            assert node.value is not None
            return tuple(ast.literal_eval(node.value))
    return None


def is_surface(module: str) -> bool:
    """A package's ``__init__``, a part of the core, or a declared sub-surface."""
    path = source_of(module)
    if path is None:
        return False
    core_part = module.startswith("tongban.") and module.count(".") == 1
    return path.name == "__init__.py" or core_part or module in SUB_SURFACES


def test_the_rules_tell_surfaces_and_private_modules_apart() -> None:
    assert is_surface("connectors") and is_surface("exchange.cases")
    assert is_surface("tongban.errors") and is_surface("license_vault.jws")
    assert not is_surface("connectors.sync") and not is_surface("tongban.identifiers.id_number")
    assert _private_owner("tongban.identifiers._text.FULL_TO_HALF") == "tongban.identifiers"
    assert _private_owner("tongban.store.store._dumps") == "tongban.store"
    assert _private_owner("expectations.custom._base") == "expectations.custom"
    assert _private_owner("tongban.identifiers.clean_code") is None


def test_the_layers_cover_every_package() -> None:
    assert set(PACKAGES) == set().union(*LAYERS)


def test_no_package_imports_the_tests_or_the_benches() -> None:
    wrong = [
        f"{this}:{line} imports {target}"
        for path, this in our_modules()
        for line, target, _ in imports(path)
        if target.split(".")[0] in ("tests", "bench")
    ]
    assert not wrong, "\n".join(wrong)


def test_imports_point_down_the_layers() -> None:
    wrong, used = [], set()
    for this, line, target, _ in project_imports():
        if layer(target) < layer(this):
            continue
        key = next((k for k in ALLOWED if this == k[0] and target.startswith(k[1])), None)
        if key is not None:
            used.add(key)
            continue
        way = "up" if layer(target) > layer(this) else "sideways"
        wrong.append(f"{this}:{line} imports {target} ({way})")
    assert not wrong, "\n".join(wrong)
    assert used == set(ALLOWED), f"allowed but no longer imported: {set(ALLOWED) - used}"


def _private_owner(dotted: str) -> str | None:
    """The package a private module or name in ``dotted`` belongs to, or None when
    nothing in it is private: ``tongban.identifiers._text.x`` -> ``tongban.identifiers``,
    ``tongban.store.store._helper`` -> ``tongban.store``."""
    parts = dotted.split(".")
    for i, part in enumerate(parts):
        if part.startswith("_") and not part.startswith("__"):
            owner = ".".join(parts[:i])
            path = source_of(owner)
            if path is not None and path.name != "__init__.py":
                owner = owner.rpartition(".")[0]  # a module's private name: its package's
            return owner
    return None


def test_no_module_imports_a_private_module_from_outside_its_package() -> None:
    """``_name`` is for its own package; a name others need goes on the package's surface."""
    wrong = []
    for path, this in our_modules():
        package = this if path.name == "__init__.py" else this.rpartition(".")[0]
        for line, target, names in imports(path):
            if target.split(".")[0] not in PACKAGES:
                continue
            for dotted in [target] + [f"{target}.{n}" for n in names]:
                owner = _private_owner(dotted)
                if owner is not None and not (package + ".").startswith(owner + "."):
                    wrong.append(f"{this}:{line} imports {dotted} (private to {owner})")
    assert not wrong, "\n".join(wrong)


def test_packages_reach_each_other_through_their_surfaces() -> None:
    wrong = []
    for this, line, target, names in project_imports():
        if any(this == k[0] and target.startswith(k[1]) for k in ALLOWED):
            continue  # named above, and going
        if not is_surface(target):
            wrong.append(f"{this}:{line} imports {target}, which is no package's surface")
            continue
        listed = declared_all(target) or ()
        missing = [n for n in names if n not in listed and not is_surface(f"{target}.{n}")]
        if missing:
            wrong.append(f"{this}:{line} imports {missing} from {target}, not in its __all__")
    assert not wrong, "\n".join(wrong)


def test_every_surface_declares_all() -> None:
    surfaces = [m for _, m in our_modules() if is_surface(m)]
    assert set(SUB_SURFACES) <= set(surfaces)
    missing = [m for m in surfaces if declared_all(m) is None]
    assert not missing, f"surfaces without __all__: {missing}"


def _requirement(spec: str) -> str:
    return re.sub(r"[-_.]+", "-", re.split(r"[<>=!~\[;\s]", spec, maxsplit=1)[0]).lower()


def test_every_imported_distribution_is_declared() -> None:
    """Each third-party module the packages import comes from a distribution that
    pyproject.toml names: a dependency, or (Airflow itself) the ``airflow`` extra."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    declared = {_requirement(d) for d in project["dependencies"]}
    airflow = {_requirement(d) for d in project["optional-dependencies"]["airflow"]}
    providers = importlib.metadata.packages_distributions()
    undeclared = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            for line, target, _ in imports(path):
                top = target.split(".")[0]
                if not top or top in (*sys.stdlib_module_names, *PACKAGES, "__future__"):
                    continue
                if top == "airflow" and "apache-airflow" in airflow:
                    continue  # apache-airflow ships ``airflow`` in several parts
                dists = {_requirement(d) for d in providers.get(top, [top])}
                if not dists & declared:
                    undeclared.append(f"{module_name(path)}:{line} imports {top} ({dists})")
    assert not undeclared, "\n".join(undeclared)
