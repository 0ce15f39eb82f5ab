"""The gateway spec: models, the stack loader and cross-checks.

Names are imported on first use (PEP 562): ``explain`` answering from its cached spec needs the models but
not the loader (YAML, overlays, cross-checks), and importing ``gateway.spec.models`` runs this file first.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gateway.spec.loader import Mode, available_stacks, load_spec, load_spec_located
    from gateway.spec.models import GatewaySpec
    from gateway.spec.problems import Problem, SpecError

__all__ = ["GatewaySpec", "Mode", "Problem", "SpecError", "available_stacks", "load_spec", "load_spec_located"]
_HOME = {"GatewaySpec": "models", "Problem": "problems", "SpecError": "problems"}


def __getattr__(name: str) -> Any:
    if name not in __all__:
        raise AttributeError(f"module 'gateway.spec' has no attribute '{name}'")
    return getattr(importlib.import_module(f"gateway.spec.{_HOME.get(name, 'loader')}"), name)
