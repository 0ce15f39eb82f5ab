"""Making a container health-check edit take effect.

terraform-provider-docker declares ``healthcheck`` Optional+Computed without ForceNew
(internal/provider/resource_docker_container.go, resourceDockerContainer schema), and
``resourceDockerContainerUpdate`` (resource_docker_container_funcs.go) only updates restart policy and
resource limits: an edited health check shows in the diff, "updates" and changes nothing in Docker.
Docker cannot change a container's health check in place either, so the edit replaces the container.
"""

from __future__ import annotations

HEALTHCHECK_TAKES_EFFECT = ["healthcheck"]
"""``replace_on_changes`` entry of every container with a health check."""
