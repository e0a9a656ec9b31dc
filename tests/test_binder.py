"""Binder's environment, checked statically: no Docker, no network.

``repo2docker --no-build --debug`` prints the Dockerfile that Binder would build from this
repository without building it.  The Dockerfile and ``binder/`` must give Python 3.11, install
``binder/requirements.txt`` from the repository root (so ``-e .`` installs ``helpers``), a
CPU-only torch, jupytext to open the MyST chapters as notebooks, and the book's pins.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
BINDER = ROOT / "binder"
CPU_INDEX = "https://download.pytorch.org/whl/cpu"


def _requirements(path: Path) -> tuple[dict[str, Requirement], list[str]]:
    """Named requirements and option lines (--index-url, -e ...) of a requirements file."""
    named, options = {}, []
    for raw in path.read_text().splitlines():
        line = raw.split(" #")[0].strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("-"):
            options.append(" ".join(line.split()))
            continue
        req = Requirement(line)
        named[canonicalize_name(req.name)] = req
    return named, options


def _pin(req: Requirement) -> str:
    (spec,) = req.specifier  # exactly one `==` pin
    assert spec.operator == "==", f"{req} is not pinned with =="
    return spec.version


@pytest.fixture(scope="module")
def dockerfile(tmp_path_factory) -> str:
    """The Dockerfile repo2docker generates for the repository (no Docker daemon needed)."""
    env = dict(os.environ)
    # Prove it needs no network: any attempt to reach out goes to a closed local port.
    for var in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        env[var] = "http://127.0.0.1:9"
    env.pop("no_proxy", None)
    env.pop("NO_PROXY", None)
    result = subprocess.run(
        [sys.executable, "-m", "repo2docker", "--no-build", "--no-run", "--debug", str(ROOT)],
        capture_output=True, text=True, timeout=120, env=env,
        cwd=tmp_path_factory.mktemp("r2d"),  # no stray repo2docker_config.py is picked up
    )
    assert result.returncode == 0, f"repo2docker failed:\n{result.stderr}\n{result.stdout}"
    assert "FROM " in result.stdout, result.stdout
    return result.stdout + "\n" + result.stderr


def _copied_build_files(dockerfile: str) -> dict[str, str]:
    """Destination -> source of the files repo2docker copies in, its escaping (-2e) undone."""
    pairs = re.findall(r"COPY \S+ build_script_files/(\S+) (\S+)", dockerfile)
    return {dest: re.sub(r"-([0-9a-f]{2})", lambda m: chr(int(m.group(1), 16)), src)
            for src, dest in pairs}


def test_runtime_is_python_3_11(dockerfile):
    assert (BINDER / "runtime.txt").read_text().strip() == "python-3.11"
    assert "conda environment for python=3.11" in dockerfile
    # the conda environment the image starts from is repo2docker's lock file for Python 3.11
    lock = _copied_build_files(dockerfile).get("/tmp/env/environment.lock", "")
    assert "/environment.py-3.11-linux-64.lock" in lock, lock


def test_installs_binder_requirements_from_the_repository_root(dockerfile):
    install = 'pip install --no-cache-dir -r "binder/requirements.txt"'
    assert install in dockerfile
    # `-e .` is resolved against the working directory: the whole repository must be copied
    # in first and the install must run in it.
    copy_repo = dockerfile.index("COPY --chown=0:0 src/ ${REPO_DIR}/")
    workdir = dockerfile.index("WORKDIR ${REPO_DIR}")
    assert workdir < copy_repo < dockerfile.index(install)
    assert "RUN ./binder/postBuild" in dockerfile


def test_requirements_use_cpu_torch_jupytext_and_helpers():
    named, options = _requirements(BINDER / "requirements.txt")
    assert any(opt in (f"--extra-index-url {CPU_INDEX}", f"--index-url {CPU_INDEX}")
               for opt in options), options
    torch = _pin(named["torch"])
    assert torch.startswith("2.13.0") and torch.endswith("+cpu"), torch
    assert "jupytext" in named and "jupyterlab" in named and "ipywidgets" in named
    assert "-e ." in options, "binder/requirements.txt must install the repository (helpers)"
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "helpers" in project["tool"]["setuptools"]["packages"]


def test_binder_pins_match_the_book():
    """Binder runs the notebooks with the same versions the book is built and tested with."""
    book, _ = _requirements(ROOT / "requirements.txt")
    binder, _ = _requirements(BINDER / "requirements.txt")
    for name, req in binder.items():
        assert name in book, f"{name} is pinned for Binder but not in requirements.txt"
        expected = _pin(book[name]).split("+")[0]
        assert _pin(req).split("+")[0] == expected, f"{name}: Binder {req}, book {book[name]}"
    needed = {"numpy", "scipy", "scikit-learn", "matplotlib", "ipywidgets", "ipykernel",
              "nbclient", "nbformat", "jupytext", "jupyterlab", "torch"}
    assert needed <= set(binder), needed - set(binder)


def test_post_build_opens_markdown_chapters_as_notebooks():
    post_build = BINDER / "postBuild"
    assert os.access(post_build, os.X_OK), "binder/postBuild must be executable"
    text = post_build.read_text()
    assert text.startswith("#!/bin/bash")
    assert re.search(r'"markdown":\s*"Jupytext Notebook"', text)


def _lab_settings(tmp_path, plugin: str) -> dict:
    """The settings JupyterLab serves for ``plugin`` once postBuild has run into a fresh prefix."""
    from jupyterlab_server.settings_utils import get_settings

    prefix = tmp_path / "prefix"
    subprocess.run(["bash", str(BINDER / "postBuild")], check=True, cwd=ROOT,
                   env={**os.environ, "NB_PYTHON_PREFIX": str(prefix)})
    settings, _ = get_settings(
        app_settings_dir=str(prefix / "share" / "jupyter" / "lab" / "settings"),
        schemas_dir=str(Path(sys.prefix) / "share" / "jupyter" / "lab" / "schemas"),
        settings_dir=str(tmp_path / "user-settings"),
        schema_name=plugin,
    )
    return {key: prop.get("default") for key, prop in settings["schema"]["properties"].items()}


def test_post_build_settings_are_valid_and_turn_off_the_news_prompt(tmp_path):
    import jsonschema

    prefix = tmp_path / "prefix"
    subprocess.run(["bash", str(BINDER / "postBuild")], check=True, cwd=ROOT,
                   env={**os.environ, "NB_PYTHON_PREFIX": str(prefix)})
    overrides = json.loads((prefix / "share/jupyter/lab/settings/overrides.json").read_text())
    schemas = Path(sys.prefix) / "share" / "jupyter" / "lab" / "schemas"
    for plugin, values in overrides.items():  # every override is a valid setting of its plugin
        package, name = plugin.rsplit(":", 1)
        schema = json.loads((schemas / package / f"{name}.json").read_text())
        jsonschema.validate(values, schema)
    notification = _lab_settings(tmp_path, "@jupyterlab/apputils-extension:notification")
    assert notification["fetchNews"] == "false"  # "Never": no first-run prompt, no request
    assert notification["checkForUpdates"] is False
    viewers = _lab_settings(tmp_path, "@jupyterlab/docmanager-extension:plugin")["defaultViewers"]
    assert viewers["markdown"] == "Jupytext Notebook"


@pytest.mark.parametrize("uid, allowed", [("0", True), ("1000", False)])
def test_make_lab_allows_root_only_for_root(uid, allowed):
    """JupyterLab refuses to run as root without --allow-root; `make lab` adds it for root only."""
    proc = subprocess.run(["make", "-n", "lab", f"LAB_USER_ID={uid}"], cwd=ROOT,
                          capture_output=True, text=True, check=True)
    (lab,) = [line for line in proc.stdout.splitlines() if "jupyter lab" in line]
    assert ("--allow-root" in lab.split()) is allowed


def test_make_lab_detects_the_user():
    proc = subprocess.run(["make", "-n", "lab"], cwd=ROOT, capture_output=True, text=True, check=True)
    (lab,) = [line for line in proc.stdout.splitlines() if "jupyter lab" in line]
    assert ("--allow-root" in lab.split()) is (os.geteuid() == 0)
