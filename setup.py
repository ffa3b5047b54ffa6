"""Which files go into the ``confusionflow`` package; everything else about it is in pyproject.toml.

The source tree keeps ``app/``, ``components/`` and ``data_access/`` at the top; installed, they
are ``confusionflow.app``, ``confusionflow.components`` and ``confusionflow.data_access`` (no
top-level ``app`` that could shadow a user's own). ``assets/`` and ``demo_logs/`` are installed as
``confusionflow/assets`` and ``confusionflow/demo_logs``: beside ``confusionflow/app`` as they are
beside ``app/`` in the tree, which is where ``app/config.py`` looks for them. Subpackages are
found on disk, so a new folder with an ``__init__.py`` needs no change here.
"""

from __future__ import annotations

from pathlib import Path

from setuptools import setup

ROOT = Path(__file__).resolve().parent
CODE = ("app", "components", "data_access")
DATA = ("assets", "demo_logs")


def code_packages() -> dict[str, str]:
    """``{"confusionflow.app.callbacks": "app/callbacks", ...}`` for every folder with an ``__init__.py``."""
    found = {"confusionflow": "confusionflow"}
    for top in CODE:
        for init in sorted((ROOT / top).rglob("__init__.py")):
            folder = init.parent.relative_to(ROOT)
            if "__pycache__" in folder.parts:
                continue
            found["confusionflow." + ".".join(folder.parts)] = folder.as_posix()
    return found


def data_files_of(folder: str) -> list[str]:
    """Every file under ``folder``, relative to it (names with spaces included)."""
    base = ROOT / folder
    return sorted(p.relative_to(base).as_posix() for p in base.rglob("*") if p.is_file())


packages = code_packages()
package_dir = dict(packages)
package_data: dict[str, list[str]] = {}
for folder in DATA:
    name = f"confusionflow.{folder}"
    packages[name] = folder
    package_dir[name] = folder
    package_data[name] = data_files_of(folder)

setup(
    packages=sorted(packages), package_dir=package_dir, package_data=package_data, include_package_data=False
)
