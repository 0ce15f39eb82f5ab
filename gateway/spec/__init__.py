"""The gateway spec: models, the stack loader and cross-checks."""

from gateway.spec.loader import Mode, available_stacks, load_spec, load_spec_located
from gateway.spec.models import GatewaySpec
from gateway.spec.problems import Problem, SpecError

__all__ = ["GatewaySpec", "Mode", "Problem", "SpecError", "available_stacks", "load_spec", "load_spec_located"]
