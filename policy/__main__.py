"""The ai4v-gateway policy pack: `pulumi preview --policy-pack policy` (see README.md here)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # gateway.stack.images: the image table

from ai4v_pack import POLICIES
from pulumi_policy import EnforcementLevel, PolicyPack

PolicyPack(name="ai4v-gateway", enforcement_level=EnforcementLevel.MANDATORY, policies=POLICIES)
