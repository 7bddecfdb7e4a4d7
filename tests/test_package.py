"""The package's shape: one version, and an engine loaded only when asked for."""

import subprocess
import sys
from pathlib import Path

import dedupe
from dedupe._version import __version__

ROOT = Path(__file__).resolve().parent.parent


def test_the_version_is_written_once():
    assert dedupe.__version__ == __version__
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert __version__ not in pyproject and 'attr = "dedupe._version.__version__"' in pyproject


def test_the_config_imports_no_engine():
    code = (
        "import sys, dedupe.config; "
        "print(sorted(m for m in ('numba', 'scipy', 'dedupe.pipeline') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_the_command_line_help_imports_no_engine():
    # `dedupe --help` imports no numpy at all; a command's help counts the cores
    # (dedupe.executor.parallel, numpy) but imports no numba, scipy or pipeline.
    code = (
        "import sys; from click.testing import CliRunner; from dedupe.cli import main; "
        "r = CliRunner().invoke(main, sys.argv[1:]); assert r.exit_code == 0 and 'Usage' in r.output, r.output; "
        "print(sorted(m for m in ('numpy', 'numba', 'scipy', 'datasketch', 'dedupe.pipeline') if m in sys.modules))"
    )
    for args, loaded in ((["--help"], "[]"), (["clean", "--help"], "['numpy']"), (["report", "--help"], "['numpy']")):
        out = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, check=True).stdout
        assert out.strip() == loaded, args


def test_the_engine_comes_when_asked_for():
    assert callable(dedupe.clean) and dedupe.Analysis.__name__ == "Analysis"
    assert set(dedupe.__all__) <= set(dir(dedupe))


# --- the house: stages -> algorithms -> array helpers and I/O, executor beside ---

PACKAGE = ROOT / "dedupe"
#: The presentation: what turns a run's result into something a person reads
#: (dedupe.tables, like dedupe.api, is a front: a table and its report).
PRESENTATION = {"dedupe.api", "dedupe.cli", "dedupe.clihelp", "dedupe.summary", "dedupe.report", "dedupe.htmlreport", "dedupe.htmlsite",
                "dedupe.explain", "dedupe.stages.report", "dedupe.stages.write", "dedupe.tables"}
#: What only the run (dedupe.pipeline) and the executor may reach for.
MACHINE = {"multiprocessing", "dedupe.executor.spill", "dedupe.executor.parallel", "dedupe.executor.malloc",
           "dedupe.executor.lifeline", "dedupe.checkpoint"}


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """Every module ``path`` imports, absolute, at any depth of its code."""
    import ast

    here = _module_name(path)
    package = here if path.name == "__init__.py" else here.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")
            if node.level:
                base = base[: len(base) - node.level + 1]
                prefix = ".".join(base + ([node.module] if node.module else []))
            else:
                prefix = node.module
            found.add(prefix)
            found |= {f"{prefix}.{alias.name}" for alias in node.names}
    return found


def _modules() -> dict[str, set[str]]:
    return {_module_name(p): _imports(p) for p in PACKAGE.rglob("*.py")}


def test_every_module_is_short():
    long = {str(p.relative_to(ROOT)): n for p in PACKAGE.rglob("*.py") if (n := len(p.read_text().splitlines())) >= 600}
    assert not long


def test_the_engine_imports_no_presentation_code():
    modules = _modules()
    engine = {m for m in modules if m not in PRESENTATION and m not in {"dedupe", "dedupe.__main__"}}
    reaching = {m: sorted(modules[m] & PRESENTATION) for m in engine if modules[m] & PRESENTATION}
    assert not reaching
    # and the checker sees imports: the front does import the report
    assert "dedupe.report" in modules["dedupe.api"]


def test_stages_and_algorithms_reach_the_machine_only_through_the_executor():
    modules = _modules()
    # The run, its checkpoints and the fronts; the document store is kept
    # in the work folder in the checkpoints' string encoding.
    allowed = {"dedupe.pipeline", "dedupe.checkpoint", "dedupe.cli", "dedupe.api", "dedupe.store"}
    workers = {m for m in modules if m.startswith("dedupe.executor") or m.startswith("dedupe.backends") or m in allowed}
    reaching = {m: sorted(imports & MACHINE) for m, imports in modules.items() if m not in workers and imports & MACHINE}
    assert not reaching
    assert modules["dedupe.pipeline"] & MACHINE  # the checker sees the run's own imports


def test_no_test_reaches_for_a_private_name_of_the_package():
    """Tests use what a module offers: no ``from dedupe.x import _name``, no
    ``module._name`` of a dedupe module (names with two underscores, the
    language's own, aside)."""
    import ast

    offenders = []
    for path in sorted((ROOT / "tests").glob("*.py")):
        tree = ast.parse(path.read_text())
        modules = set()  # local names bound to dedupe modules
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("dedupe"):
                for alias in node.names:
                    if alias.name.startswith("_") and not alias.name.startswith("__"):
                        offenders.append(f"{path.name}:{node.lineno} imports {alias.name}")
                    modules.add(alias.asname or alias.name)
            elif isinstance(node, ast.Import):
                modules |= {(a.asname or a.name).split(".")[0] for a in node.names if a.name.startswith("dedupe")}
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and node.attr.startswith("_")
                and not node.attr.startswith("__")
                and isinstance(node.value, ast.Name)
                and node.value.id in modules
            ):
                offenders.append(f"{path.name}:{node.lineno} uses {node.value.id}.{node.attr}")
    assert not offenders


def test_what_the_defaults_use_is_a_dependency_not_an_extra():
    """The same input and config give the same bytes on every install: the
    default page extractor (trafilatura) comes with dedupe, and the extra
    that used to bring it still installs."""
    try:
        import tomllib
    except ImportError:  # Python 3.10
        import tomli as tomllib
    from dedupe.config import Config

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert Config().read.page_extractor == "trafilatura"
    assert any(d.startswith("trafilatura") for d in project["dependencies"])
    assert "trafilatura" in project["optional-dependencies"]
