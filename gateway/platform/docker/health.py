"""Which containers are recreated, and waited for again, when Pulumi would otherwise only update them.

A health-check edit: terraform-provider-docker declares ``healthcheck`` Optional+Computed without ForceNew
(internal/provider/resource_docker_container.go, resourceDockerContainer schema), and
``resourceDockerContainerUpdate`` (resource_docker_container_funcs.go) only updates restart policy and
resource limits: an edited health check shows in the diff, "updates" and changes nothing in Docker.

A failed health wait: ``resourceDockerContainerCreate`` sets the container's id, starts it, then returns
an error when it is not healthy within ``wait_timeout``; the bridge (pulumi-terraform-bridge
pkg/tfbridge/provider.go, ``Create`` -> ``initializationError``) reports that partial state, and the engine
stores the container with init errors. On the next ``pulumi up`` the engine plans an update to "continue"
it (pkg/resource/deploy/step_generator.go, ``hasInitErrors``): the provider's update does not wait again,
the unhealthy container counts as done, and a rolling chain moves on to the next Kong node. The engine
turns an init error into a replacement only when a ``replace_on_changes`` path contains its special key
``#initerror`` (``applyReplaceOnChanges``); ``*`` does, and is the form the engine's own tests use.
"""

from __future__ import annotations

REPLACE_ON_ANY_CHANGE = ["*"]
"""``replace_on_changes`` of every container Pulumi waits for (health check + ``wait``): Kong nodes, Postgres
and Redis. A container that failed its health wait is recreated and waited for again, an edited health
check takes effect, and the few settings Docker could change in place (restart policy, limits, stop grace)
recreate it too: a Kong node one at a time, like any other node change."""
