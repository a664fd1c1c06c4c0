"""A user's own package registers an env through the ``archgym.envs`` entry-point group.

The package is installed (``pip install --no-deps --no-build-isolation``, no network) into a
temporary virtualenv that sees the project's packages; archgym, its CLI and the agents then
find the env without being told about the package.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

PYPROJECT = """\
[build-system]
requires = ["setuptools"]
build-backend = "setuptools.build_meta"

[project]
name = "mylab-cache"
version = "0.1.0"
dependencies = ["archgym"]

[project.entry-points."archgym.envs"]
mylab = "mylab_cache:register"
mylab-specs = "mylab_cache:specs"
broken = "mylab_cache:broken"

[tool.setuptools]
packages = ["mylab_cache"]
"""

MODULE = '''\
"""mylab's cache model, packaged for archgym."""
import archgym
from archgym.registry import EnvSpec


class Cache(archgym.Simulator):
    name, version = "mylab-cache", "1"
    metrics = (archgym.Metric("amat_ns", "ns", "min", scale=10.0),)

    def design_space(self, workload=None):
        return archgym.DesignSpace([archgym.PowerOfTwo("size_kb", 1, 64), archgym.PowerOfTwo("assoc", 1, 16)])

    def evaluate(self, design, workload=None):
        miss = 0.6 / design["size_kb"] ** 0.5 * (1 + 1 / design["assoc"])
        return {"amat_ns": 0.5 + 0.1 * design["assoc"].bit_length() + 60 * miss}


def register():
    # "module:Class" is imported only when the env is made, so listing envs stays cheap.
    archgym.register_env("mylab/Cache-v0", "mylab_cache:Cache", objective=archgym.Minimize("amat_ns"),
                         description="mylab's cache model")


def specs():
    return [EnvSpec("mylab/CacheShort-v0", Cache, objective=archgym.Minimize("amat_ns"),
                    defaults={"episode_length": 2})]


def broken():
    raise RuntimeError("mylab forgot a data file")
'''

SCRIPT = """\
import json, warnings
import archgym
from archgym.agents import RandomSearch

with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    ids = archgym.list_envs()
result = archgym.run(RandomSearch(), "mylab/Cache-v0", budget=5, seed=0)
short = archgym.make("mylab/CacheShort-v0")
print(json.dumps({"ids": ids, "warnings": [str(w.message) for w in caught],
                  "evaluations": len(result.evaluations), "episode_length": short.episode_length,
                  "module": archgym.registry.spec("mylab/Cache-v0").make_simulator().__module__,
                  "installed_at": __import__("mylab_cache").__file__}))
"""


@pytest.fixture(scope="module")
def venv_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtualenv that sees the project's site-packages, with mylab-cache installed into it."""
    root = tmp_path_factory.mktemp("entry-points")
    pkg = root / "mylab-cache"
    (pkg / "mylab_cache").mkdir(parents=True)
    (pkg / "pyproject.toml").write_text(PYPROJECT)
    (pkg / "mylab_cache" / "__init__.py").write_text(MODULE)
    venv = root / "venv"
    # --system-site-packages would expose the base interpreter, not the project venv we run in
    # (which holds archgym, pip and setuptools), so a .pth file adds the project venv instead.
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    (Path(purelib) / "_project_venv.pth").write_text(
        f"import site; site.addsitedir({sysconfig.get_paths()['purelib']!r})\n"
    )
    subprocess.run(
        [
            str(python),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            str(pkg),
        ],
        check=True,
        capture_output=True,
    )
    return python


def test_entry_points_register_envs(venv_python: Path) -> None:
    proc = subprocess.run([str(venv_python), "-c", SCRIPT], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert {"mylab/Cache-v0", "mylab/CacheShort-v0", "archgym/Synthetic-v0"} <= set(out["ids"])
    assert out["evaluations"] == 5 and out["episode_length"] == 2 and out["module"] == "mylab_cache"
    assert (
        str(venv_python.parent.parent) in out["installed_at"]
    )  # installed into the temporary venv
    # The broken plug-in is reported by name and skipped; it does not take archgym down.
    assert any("'broken'" in w and "mylab forgot a data file" in w for w in out["warnings"]), out[
        "warnings"
    ]


def test_cli_sees_the_plugin(venv_python: Path, tmp_path: Path) -> None:
    cli = [str(venv_python), "-c", "from archgym.cli import main; main()"]
    listed = subprocess.run(
        cli + ["envs"], capture_output=True, text=True, env={**os.environ, "COLUMNS": "200"}
    )
    assert listed.returncode == 0, listed.stderr[-2000:]
    assert "mylab/Cache-v0" in listed.stdout and "mylab's cache model" in listed.stdout
    ran = subprocess.run(
        cli
        + [
            "run",
            "--env",
            "mylab/Cache-v0",
            "--agent",
            "walk",
            "--budget",
            "6",
            "--store",
            str(tmp_path / "runs.db"),
        ],
        capture_output=True,
        text=True,
    )
    assert ran.returncode == 0, ran.stderr[-2000:]
    assert "amat_ns" in ran.stdout and "6 simulator" in ran.stdout


def test_register_env_in_process() -> None:
    """The other way in: ``archgym.register_env`` from the user's own code, no package needed."""
    import gymnasium
    from byo_support import PyCache

    import archgym

    archgym.register_env(
        "mylab/PyCache-v0", PyCache, objective=archgym.Minimize("amat_ns"), episode_length=3
    )
    assert "mylab/PyCache-v0" in archgym.list_envs()
    env = gymnasium.make("mylab/PyCache-v0")  # also a Gymnasium id
    assert env.unwrapped.episode_length == 3
    with pytest.raises(ValueError, match="should look like 'namespace/Name-v0'"):
        archgym.register_env("PyCache", PyCache)


def test_register_env_with_an_instance() -> None:
    """A built simulator (a loaded table, a configured binary) registers as it is, and is shared."""
    from byo_support import PyCache

    import archgym

    sim = PyCache()
    archgym.register_env("mylab/PyCacheInstance-v0", sim, objective=archgym.Minimize("amat_ns"))
    assert archgym.make("mylab/PyCacheInstance-v0").simulator is sim
    with pytest.raises(TypeError, match="simulator_kwargs need a simulator class or factory"):
        archgym.make("mylab/PyCacheInstance-v0", simulator_kwargs={"size": 1})
