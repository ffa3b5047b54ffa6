"""ConfusionFlow: how a classifier's class confusion evolves over training, across runs.

The public names for training scripts::

    from confusionflow import LogWriter

    with LogWriter("logs", "resnet lr=0.1", classes) as log:
        log.add(epoch, "test", y_true, y_pred)

and the framework callbacks (each framework is imported only when its callback is used):
``LightningCallback`` (PyTorch Lightning), ``KerasCallback`` (Keras 3, any backend),
``HuggingFaceCallback`` (transformers ``Trainer``), plus ``log_pytorch_epoch`` and
``log_estimator`` for plain PyTorch loops and scikit-learn.

The dashboard lives in ``confusionflow.app``, its figures in ``confusionflow.components`` and the
log format, readers and importers in ``confusionflow.data_access`` (the folders ``app/``,
``components/`` and ``data_access/`` of the source tree). ``confusionflow serve --logdir LOGS``
starts it (``confusionflow.cli``).
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

__version__ = "0.1.0"

# In a source checkout, confusionflow/app, components and data_access are symbolic links to the
# folders beside this one (so type checkers and editors see one module tree); where links are not
# available (a checkout without symlink support), extend ``__path__`` to the same effect. An
# installed wheel has the folders inside this one.
_HERE = Path(__file__).resolve().parent
if not (_HERE / "app").is_dir() and (_HERE.parent / "app" / "__init__.py").is_file():
    __path__.append(str(_HERE.parent))  # noqa: F821 - ``__path__`` is set for every package

_LAZY = {
    "LogWriter": "confusionflow.data_access.writer",
    "LightningCallback": "confusionflow.data_access.integrations.lightning",
    "KerasCallback": "confusionflow.data_access.integrations.keras",
    "HuggingFaceCallback": "confusionflow.data_access.integrations.huggingface",
    "log_pytorch_epoch": "confusionflow.data_access.integrations.torch",
    "log_estimator": "confusionflow.data_access.integrations.sklearn",
}


def __getattr__(name: str) -> Any:
    """Import a public name's module on first use (``confusionflow --help`` stays instant)."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'confusionflow' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])


__all__ = ["__version__", *_LAZY]
