"""Pure names, labels, ports and paths of the Kubernetes platform's objects (no Pulumi resources here).

Every object lives in the stack's namespace, so names are short and fixed: ``kong``, ``kong-proxy``,
``redis``... The Redis Service is named ``redis`` on purpose: the spec's rate-limiting points at host
``redis`` on both platforms.
"""

from __future__ import annotations

from gateway.platform import naming

APP = "ai4v-gateway"
KONG = "kong"
REDIS = naming.REDIS_ALIAS
MIGRATIONS = "kong-migrations"
MIGRATIONS_FINISH = "kong-migrations-finish"
PROXY_SERVICE = "kong-proxy"
STATUS_SERVICE = "kong-status"
PLATFORM_SECRET = "ai4v-gateway-secrets"
"""Postgres and Redis passwords, one key each (``PG_PASSWORD_KEY``, ``REDIS_PASSWORD_KEY``)."""
PG_PASSWORD_KEY = "postgres-password"
REDIS_PASSWORD_KEY = "redis-password"
TLS_SECRET = "kong-proxy-tls"
DECLARATIVE_SECRET = "kong-declarative"
NGINX_CONFIGMAP = "kong-nginx-include"
REDIS_CONFIG_SECRET = "redis-config"

KONG_UID = 1000
"""The ``kong`` user of the official image (Kong/charts: containerSecurityContext.runAsUser)."""
REDIS_UID = 999
"""The ``redis`` user of the official image."""

PLUGINS_DIR = "/opt/kong/plugins"
"""Where Kong/charts mounts ``plugins.configMaps`` (``/opt/kong/plugins/<pluginName>``, _helpers.tpl
``kong.volumeMounts``), with ``KONG_LUA_PACKAGE_PATH=/opt/?.lua;/opt/?/init.lua;;`` (``kong.env``)."""
LUA_PACKAGE_PATH = "/opt/?.lua;/opt/?/init.lua;;"
PREFIX_DIR = "/kong_prefix/"
"""Kong's prefix on an emptyDir: the root filesystem is read-only (Kong/charts ``kong.volumeMounts``)."""

BODY_TEMP_DIR = "/kong_body_temp"
"""Where nginx spills request bodies (``client_body`` under it) and buffered responses (``proxy``): a
volume of its own, sized for the uploads, so bodies never fill the prefix's emptyDir."""

HTTP_PORT = 80
HTTPS_PORT = 443


def plugin_configmap(plugin: str) -> str:
    return f"kong-plugin-{plugin}"


def labels(component: str) -> dict[str, str]:
    """Recommended labels; ``app.kubernetes.io/component`` is what selectors and NetworkPolicies match."""
    return {"app.kubernetes.io/name": APP, "app.kubernetes.io/component": component,
            "app.kubernetes.io/managed-by": "pulumi"}


def selector(component: str) -> dict[str, str]:
    return {"app.kubernetes.io/name": APP, "app.kubernetes.io/component": component}


def service_dns(service: str, namespace: str) -> str:
    return f"{service}.{namespace}.svc.cluster.local"


def metrics_url(namespace: str) -> str:
    """In-cluster address of Kong's /metrics (Prometheus scrapes each pod; see the pod annotations)."""
    return f"http://{service_dns(STATUS_SERVICE, namespace)}:{naming.KONG_STATUS}/metrics"

MIN_KUBERNETES = "1.25"
"""The oldest Kubernetes minor the objects are written for (every API and field used is GA there:
apps/v1, batch/v1, policy/v1 PDB, autoscaling/v2 HPA, networking/v1, topology spread, seccompProfile);
the tests validate every object against its OpenAPI schema (kubernetes-validate's oldest)."""
