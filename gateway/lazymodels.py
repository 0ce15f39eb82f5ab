"""Spec models whose validators are built on first use, not at import.

Building the ~70 validators of the spec and plugin models is most of ``python -m gateway``'s start-up, and
``explain`` answering from its cached spec (``gateway.explain.speccache``) needs none of them (issue 12:
< 300 ms per run). Whoever validates a whole spec calls ``complete_models`` first: it builds every model,
leaves before the models that hold them, so each schema is built once, as eager building at import did.

Creating the classes is still paid in every run. The modules that define them (gateway/plugins/, gateway/refs.py,
gateway/spec/models.py) do without ``from __future__ import annotations``: pydantic would turn each string
annotation into a ForwardRef (a ``compile``) and evaluate it while creating the class; annotations Python has
already evaluated spare a quarter of that (~10 ms a run, measured).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

BUILD_ORDER: list[type[BaseModel]] = []
"""Every deferred model in the order Python created it: a model's field types come before it."""


class DeferredModel(BaseModel):
    model_config = ConfigDict(defer_build=True)

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        BUILD_ORDER.append(cls)


def complete_models() -> None:
    """Build every deferred model not built yet (a no-op for those already built)."""
    for model in BUILD_ORDER:
        model.model_rebuild()
