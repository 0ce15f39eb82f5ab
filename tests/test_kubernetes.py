"""The Kubernetes platform under mocks: every object a valid manifest, rolling updates, probes, plugin and
nginx mounts, Redis, migrations gate, Services, NetworkPolicies, secrets by reference only."""

from __future__ import annotations

import copy
import hashlib
import ipaddress
import os
import re
import subprocess
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml
from k8s_helpers import (
    K8S_STACK,
    VARIANTS,
    ReplicasField,
    env,
    k8s_objects,
    k8s_run,
    kong_container,
    manifest,
    one,
    pod_spec,
    pulumi_apply,
    rollout_checksum,
    volume_at,
)
from platform_helpers import K8S_ADMIN_FORWARD, K8S_POSTGRES_URL, K8S_STACKS, stack_config
from pulumi_harness import ROOT, Registration, Run, Secret, reveal, run_main, state_hook

from gateway.platform import kongconf, naming
from gateway.platform.kubernetes import names
from gateway.stack.settings import read_stack_settings

OLDEST = names.MIN_KUBERNETES
NEWEST = kubernetes_validate.utils.major_minor(kubernetes_validate.latest_version())
KONG_SELECTOR = names.selector(names.KONG)


def test_there_is_a_kubernetes_stack() -> None:
    assert K8S_STACKS, "stacks/ holds no stack with ai4v-gateway:platform kubernetes"
    settings = read_stack_settings(ROOT, K8S_STACK)
    assert settings.platform == "kubernetes" and settings.mode == "dbless"


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("version", [OLDEST, NEWEST])
def test_every_object_is_a_valid_manifest(variant: str, version: str) -> None:
    objects = k8s_objects(k8s_run(variant))
    assert len(objects) >= 15
    for resource in objects:
        document = manifest(resource)
        kind = document["kind"]
        if kind != "Namespace":
            assert document["metadata"]["namespace"] == f"ai4v-gateway-{K8S_STACK}", resource.name
        # strict: an unknown or misspelt field (or one newer than the version) is an error too
        assert kubernetes_validate.validate(document, version, strict=True) == version, resource.name


def test_the_schema_check_can_fail() -> None:
    deployment = one(k8s_run(), "Deployment", "kong")
    broken = copy.deepcopy(deployment)
    broken["spec"]["strategy"]["rollingUpdate"]["maxUnavailble"] = 0
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, OLDEST, strict=True)
    broken = copy.deepcopy(deployment)
    broken["spec"]["template"]["spec"]["containers"][0]["ports"][0]["containerPort"] = "8000"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, OLDEST, strict=True)


def test_kinds_per_variant() -> None:
    def kinds(run: Run) -> set[str]:
        return {manifest(r)["kind"] for r in k8s_objects(run)}

    assert kinds(k8s_run("dbless")) == {"Namespace", "Secret", "ConfigMap", "Service", "StatefulSet", "Deployment",
                                        "PodDisruptionBudget", "HorizontalPodAutoscaler", "NetworkPolicy"}
    assert "Job" in kinds(k8s_run("db"))
    other = kinds(k8s_run("nodeport-ingress-external-redis"))
    assert "Ingress" in other and "StatefulSet" not in other and "HorizontalPodAutoscaler" not in other


def test_rolling_update_never_drops_capacity() -> None:
    spec = one(k8s_run(), "Deployment", "kong")["spec"]
    assert spec["strategy"] == {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0, "maxSurge": "25%"}}
    hpa = one(k8s_run(), "HorizontalPodAutoscaler", "kong")["spec"]
    settings = read_stack_settings(ROOT, K8S_STACK).kubernetes
    assert (hpa["minReplicas"], hpa["maxReplicas"]) == (settings.replicas, settings.hpa_max_replicas)
    assert hpa["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "kong"}
    fixed = one(k8s_run("nodeport-ingress-external-redis"), "Deployment", "kong")["spec"]
    assert fixed["replicas"] == settings.replicas
    pdb = one(k8s_run(), "PodDisruptionBudget", "kong")["spec"]
    assert pdb == {"maxUnavailable": 1, "selector": {"matchLabels": KONG_SELECTOR}}


def test_pods_probes_spread_and_graceful_stop() -> None:
    template = one(k8s_run(), "Deployment", "kong")["spec"]["template"]
    assert template["metadata"]["labels"].items() >= KONG_SELECTOR.items()
    container = kong_container(k8s_run())
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert ports["status"] == naming.KONG_STATUS
    assert container["readinessProbe"]["httpGet"] == {"path": "/status/ready", "port": "status", "scheme": "HTTP"}
    assert container["livenessProbe"]["httpGet"] == {"path": "/status", "port": "status", "scheme": "HTTP"}
    assert env(container)["KONG_STATUS_LISTEN"].endswith(f":{naming.KONG_STATUS}")
    assert container["lifecycle"]["preStop"]["exec"]["command"] == [
        "kong", "quit", "--wait=15", f"--timeout={kongconf.DRAIN_SECONDS}"]
    pod = template["spec"]
    # the kubelet's SIGKILL comes after the wait and the whole drain `kong quit` allows (kong/cmd/quit.lua)
    assert pod["terminationGracePeriodSeconds"] > 15 + kongconf.DRAIN_SECONDS
    spread = {c["topologyKey"]: c for c in pod["topologySpreadConstraints"]}
    assert spread["kubernetes.io/hostname"]["whenUnsatisfiable"] == "DoNotSchedule"
    assert spread["kubernetes.io/hostname"]["labelSelector"] == {"matchLabels": KONG_SELECTOR}
    security = container["securityContext"]
    assert security["readOnlyRootFilesystem"] and security["runAsNonRoot"] and not security["allowPrivilegeEscalation"]
    assert security["capabilities"] == {"drop": ["ALL"]}


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_container_has_requests_and_limits(variant: str) -> None:
    seen = 0
    for resource in k8s_objects(k8s_run(variant)):
        document = manifest(resource)
        spec = document.get("spec", {})
        pod = spec.get("template", {}).get("spec")
        if pod is None:
            continue
        for container in [*pod["containers"], *pod.get("initContainers", [])]:
            seen += 1
            assert set(container["resources"]["requests"]) >= {"cpu", "memory"}, resource.name
            assert set(container["resources"]["limits"]) == set(container["resources"]["requests"]), resource.name
    assert seen >= 1


def test_kong_env_is_kongconf_with_the_cluster_paths() -> None:
    container = kong_container(k8s_run())
    variables = env(container)
    settings = read_stack_settings(ROOT, K8S_STACK)
    from gateway.platform.kubernetes.kongenv import node_conf
    from gateway.spec import load_spec

    spec = load_spec(ROOT / "stacks", K8S_STACK, "dbless")
    expected = kongconf.kong_env(node_conf(settings, spec.edge))
    for key, value in expected.items():
        assert variables[key] == value, key
    assert variables["KONG_DATABASE"] == "off"
    assert variables["KONG_ADMIN_GUI_LISTEN"] == "off"
    assert variables["KONG_LUA_PACKAGE_PATH"] == "/opt/?.lua;/opt/?/init.lua;;"
    assert variables["KONG_PREFIX"] == names.PREFIX_DIR
    # one worker per CPU of the limit, not per CPU of the node (nginx's `auto`)
    assert variables["KONG_NGINX_WORKER_PROCESSES"] == "2" == container["resources"]["limits"]["cpu"]
    mounts = {m["mountPath"] for m in container["volumeMounts"]}
    assert {names.PREFIX_DIR, "/tmp"} <= mounts  # writable places on a read-only root


def test_plugins_are_mounted_from_configmaps_like_the_kong_chart(tmp_path: Path) -> None:
    """Each plugin's directory at /opt/kong/plugins/<name> holds exactly its files: straight from its
    ConfigMaps, or joined from their parts by the init container's script, run here with sh."""
    run = k8s_run()
    container = kong_container(run)
    pod = one(run, "Deployment", "kong")["spec"]["template"]["spec"]
    volumes = {v["name"]: v for v in pod["volumes"]}
    mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
    configmaps = {manifest(r)["metadata"]["name"]: manifest(r)["data"] for r in k8s_objects(run)
                  if manifest(r)["kind"] == "ConfigMap"}
    assert all(sum(len(k) + len(v.encode()) for k, v in data.items()) < (1 << 20) for data in configmaps.values())
    init = {c["name"]: c for c in pod.get("initContainers", [])}
    for target, files in kongconf.custom_plugin_files().items():
        plugin = target.rsplit("/", 1)[-1]
        assert plugin in env(container)["KONG_PLUGINS"].split(",")
        expected = {name: p.read_text(encoding="utf-8") for name, p in files.items()}
        volume = volumes[mounts[f"/opt/kong/plugins/{plugin}"]]
        source = volumes[f"kong-plugin-{plugin}-src"]["projected"]["sources"]
        data: dict[str, str] = {}
        for entry in source:
            data.update(configmaps[entry["configMap"]["name"]])
        if "projected" in volume:  # fits: mounted as is, each key at its path (its name without items)
            paths = {item["key"]: item["path"] for entry in source for item in entry["configMap"].get("items") or []}
            assert {paths.get(key, key): value for key, value in data.items()} == expected
            continue
        assert "emptyDir" in volume
        src, dst = tmp_path / "src" / plugin, tmp_path / "dst" / plugin
        src.mkdir(parents=True)
        dst.mkdir(parents=True)
        for key, value in data.items():
            (src / key).write_text(value, encoding="utf-8")
        script = init["assemble-plugins"]["command"][-1]
        script = script.replace("/plugin-src/", f"{tmp_path}/src/").replace("/plugin-dst/", f"{tmp_path}/dst/")
        subprocess.run(["sh", "-c", script], check=True)
        assert {p.relative_to(dst).as_posix(): p.read_text(encoding="utf-8")
                for p in dst.rglob("*") if p.is_file()} == expected
    # Kong requires "kong.plugins.<name>.handler": /opt/?.lua resolves it under /opt/kong/plugins/<name>/
    assert env(container)["KONG_LUA_PACKAGE_PATH"].split(";")[0] == "/opt/?.lua"


def test_nginx_includes_are_mounted_where_kong_includes_them() -> None:
    run = k8s_run()
    container = kong_container(run)
    variables = env(container)
    configmap = one(run, "ConfigMap", names.NGINX_CONFIGMAP)
    [mount] = [m for m in container["volumeMounts"] if m["name"] == names.NGINX_CONFIGMAP]
    for variable in ("KONG_NGINX_HTTP_INCLUDE", "KONG_NGINX_PROXY_INCLUDE"):
        directory, file = variables[variable].rsplit("/", 1)
        assert directory == mount["mountPath"] and file in configmap["data"]
    assert "limit_req zone=" in configmap["data"]["proxy.conf"]
    assert "Strict-Transport-Security" in configmap["data"]["proxy.conf"]
    assert "log_format ai4v_access" in configmap["data"]["http.conf"]


def declarative_of(run: Run) -> str:
    [secret] = [r for r in k8s_objects(run) if r.name == names.DECLARATIVE_SECRET]
    data = secret.inputs["stringData"]
    assert isinstance(data, Secret)  # the whole kong.yml is secret: it holds keys
    return str(data.value["kong.yml"])


def test_dbless_config_is_a_secret() -> None:
    """Kong parses it: tests/test_kong_config_parse.py, test_kubernetes_dbless_config_parses_in_kong."""
    run = k8s_run()
    document = yaml.safe_load(declarative_of(run))
    assert document["_format_version"] == "3.0"
    assert document["services"] and document["consumers"]
    container = kong_container(run)
    assert env(container)["KONG_DECLARATIVE_CONFIG"] == kongconf.DECLARATIVE_PATH
    [mount] = [m for m in container["volumeMounts"] if m["name"] == names.DECLARATIVE_SECRET]
    assert f"{mount['mountPath']}/kong.yml" == kongconf.DECLARATIVE_PATH


def test_a_config_change_rolls_the_pods() -> None:
    def checksum(run: Run) -> str:
        return str(one(run, "Deployment", "kong")["spec"]["template"]["metadata"]["annotations"]["checksum/config"])

    config, keys = stack_config(K8S_STACK)
    first = checksum(run_main(K8S_STACK, config, keys))
    assert checksum(run_main(K8S_STACK, config, keys)) == first  # stable: no roll without a change
    changed = dict(config, **{"ai4v-gateway:asrOnlyClientKey": "rotated-key-0b8f33"})
    rotated = run_main(K8S_STACK, changed, [*keys, "ai4v-gateway:asrOnlyClientKey"])
    assert checksum(rotated) != first
    assert "rotated-key-0b8f33" not in checksum(rotated)
    assert "rotated-key-0b8f33" in declarative_of(rotated)


def test_db_mode_migrations_gate_the_rollout() -> None:
    run = k8s_run("db")
    by_name = {r.name: r for r in k8s_objects(run)}
    up, deployment, finish = by_name["migrations"], by_name["kong"], by_name["migrations-finish"]
    assert up.urn in deployment.dependencies
    assert deployment.urn in finish.dependencies
    for job in (up, finish):
        assert job.options["delete_before_replace"]
        # a failed migration is run again by the next `pulumi up`, not waited on forever
        assert manifest(job)["metadata"]["annotations"] == {"pulumi.com/replaceUnready": "true"}
    command = manifest(up)["spec"]["template"]["spec"]["containers"][0]["command"]
    assert command == ["sh", "-c", "kong migrations bootstrap && kong migrations up"]
    assert manifest(finish)["spec"]["template"]["spec"]["containers"][0]["command"][-1] == "kong migrations finish"
    variables = env(kong_container(run))
    assert (variables["KONG_DATABASE"], variables["KONG_PG_HOST"], variables["KONG_PG_PORT"]) == (
        "postgres", "pg.example.internal", "5432")
    assert variables["KONG_PG_PASSWORD"] == ("secret", names.PLATFORM_SECRET, names.PG_PASSWORD_KEY)
    # the entities are written through the operator's forward, after the rollout
    assert run.stack_outputs["adminUrl"] == K8S_ADMIN_FORWARD
    [provider] = run.of_type("pulumi:providers:kong")
    assert deployment.urn in provider.dependencies
    assert any(r.type.startswith("kong:") for r in run.resources)


def test_services_expose_only_the_proxy() -> None:
    run = k8s_run()
    services = {r.name: manifest(r)["spec"] for r in k8s_objects(run) if manifest(r)["kind"] == "Service"}
    assert services["kong-proxy"]["type"] == "LoadBalancer"
    assert services["kong-proxy"]["externalTrafficPolicy"] == "Local"
    assert {p["targetPort"] for p in services["kong-proxy"]["ports"]} == {naming.KONG_PROXY, naming.KONG_PROXY_TLS}
    assert services["kong-status"]["type"] == "ClusterIP"
    exposed = {name for name, spec in services.items() if spec.get("type") in ("LoadBalancer", "NodePort")}
    assert exposed == {"kong-proxy"}
    other = k8s_run("nodeport-ingress-external-redis")
    proxy = one(other, "Service", "kong-proxy")["spec"]
    assert proxy["type"] == "NodePort"
    assert {p["nodePort"] for p in proxy["ports"]} == {30080, 30443}
    ingress = one(other, "Ingress", "kong")["spec"]
    assert ingress["ingressClassName"] == "nginx"
    assert ingress["rules"][0]["host"] == "api.ai4v.example"
    assert ingress["rules"][0]["http"]["paths"][0]["backend"]["service"]["name"] == "kong-proxy"
    assert other.stack_outputs["proxyUrls"] == ["http://api.ai4v.example"]


def test_redis_is_the_specs_host_in_cluster_or_external() -> None:
    run = k8s_run()
    service = one(run, "Service", "redis")["spec"]
    assert service["selector"] == names.selector(names.REDIS)
    statefulset = one(run, "StatefulSet", "redis")["spec"]
    [container] = statefulset["template"]["spec"]["containers"]
    assert container["command"] == ["redis-server", "/usr/local/etc/redis/redis.conf"]
    assert env(container)["REDISCLI_AUTH"] == ("secret", names.PLATFORM_SECRET, names.REDIS_PASSWORD_KEY)
    external = one(k8s_run("nodeport-ingress-external-redis"), "Service", "redis")["spec"]
    assert external == {"type": "ExternalName", "externalName": "redis.cache.example.internal"}
    document = yaml.safe_load(declarative_of(run))
    limits = [plugin for service in document["services"] for plugin in service["plugins"]
              if plugin["name"] == "rate-limiting-inline"]
    assert limits and all(p["config"]["redis"]["host"] == names.REDIS for p in limits)
    assert {p["config"]["policy"] for p in limits} == {"redis"}


def _selects(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    return selector.get("matchLabels", {}).items() <= labels.items() and not selector.get("matchExpressions")


def test_network_policies_let_only_kong_reach_redis() -> None:
    run = k8s_run()
    policies = {one_name: spec for one_name, spec in
                ((manifest(r)["metadata"]["name"], manifest(r)["spec"]) for r in k8s_objects(run)
                 if manifest(r)["kind"] == "NetworkPolicy")}
    assert policies["default-deny-ingress"] == {"podSelector": {}, "policyTypes": ["Ingress"]}
    redis = policies["redis"]
    redis_labels = one(run, "StatefulSet", "redis")["spec"]["template"]["metadata"]["labels"]
    kong_labels = one(run, "Deployment", "kong")["spec"]["template"]["metadata"]["labels"]
    assert _selects(redis["podSelector"], redis_labels)
    [rule] = redis["ingress"]
    assert rule["ports"] == [{"port": naming.REDIS_PORT, "protocol": "TCP"}]
    [peer] = rule["from"]
    assert set(peer) == {"podSelector"} and _selects(peer["podSelector"], kong_labels)
    assert not _selects(peer["podSelector"], redis_labels)
    assert redis["policyTypes"] == ["Ingress", "Egress"] and redis.get("egress", []) == []
    # no other pod of the namespace carries Kong's labels (migration Jobs included)
    db = k8s_run("db")
    for resource in k8s_objects(db):
        document = manifest(resource)
        labels = document.get("spec", {}).get("template", {}).get("metadata", {}).get("labels")
        if labels is not None and document["kind"] != "Deployment":
            assert not _selects(peer["podSelector"], labels), resource.name
    kong = policies["kong"]
    assert _selects(kong["podSelector"], kong_labels)
    assert "redis" not in {manifest(r)["metadata"]["name"] for r in k8s_objects(k8s_run("nodeport-ingress-external-redis"))
                           if manifest(r)["kind"] == "NetworkPolicy"}


@pytest.mark.parametrize("variant", ["dbless", "db"])
def test_secrets_only_by_reference(variant: str) -> None:
    run = k8s_run(variant)
    for resource in k8s_objects(run):
        document = manifest(resource)
        if document["kind"] == "Secret":
            assert isinstance(resource.inputs["stringData"], Secret), resource.name
            continue
        pod = document.get("spec", {}).get("template", {}).get("spec")
        for container in (pod or {}).get("containers", []):
            for entry in container.get("env", []):
                if "PASSWORD" in entry["name"] or entry["name"] == "REDISCLI_AUTH":
                    assert "value" not in entry and entry["valueFrom"]["secretKeyRef"], entry
    platform_secret = next(r for r in k8s_objects(run) if r.name == names.PLATFORM_SECRET)
    keys = set(reveal(platform_secret.inputs["stringData"]))
    expected = {names.REDIS_PASSWORD_KEY, "AI4V_SECRET_REDIS_PASSWORD"}  # the spec's vault reference's value
    assert keys == (expected | {names.PG_PASSWORD_KEY} if variant == "db" else expected)


def test_kubernetes_exports() -> None:
    out = k8s_run().stack_outputs
    assert out["platform"] == "kubernetes"
    assert out["managerUrl"] is None and out["adminUrl"] is None
    assert out["metricsUrl"] == f"http://kong-status.ai4v-gateway-{K8S_STACK}.svc.cluster.local:8100/metrics"

    def balancer(args: Any) -> dict[str, Any] | None:
        if args.typ == "kubernetes:core/v1:Service" and args.name == "kong-proxy":
            return {"status": {"loadBalancer": {"ingress": [{"ip": "203.0.113.7"}]}}}
        return None

    config, keys = stack_config(K8S_STACK)
    with state_hook(balancer):
        run = run_main(K8S_STACK, config, keys)
    assert run.stack_outputs["proxyUrls"] == ["http://203.0.113.7:80"]
    assert run.stack_outputs["proxyTlsUrls"] == ["https://203.0.113.7:443"]


def test_settings_that_cannot_deploy_stop_in_one_line() -> None:
    from gateway.platform.interface import deploy_problem
    from gateway.stack.settings import StackSettings

    def problem(**values: Any) -> tuple[str, str] | None:
        found = deploy_problem(StackSettings.model_validate({"platform": "kubernetes", **values}), "qa")
        return (found.key, found.message) if found else None

    key, message = problem(mode="db") or ("", "")
    assert key == "k8sPostgresUrl" and "\n" not in message
    key, message = problem(mode="db", k8sPostgresUrl=K8S_POSTGRES_URL) or ("", "")
    assert key == "kongAdminUrl" and "kubectl -n ai4v-gateway-qa port-forward deploy/kong 8001:8001" in message
    assert problem(mode="db", k8sPostgresUrl=K8S_POSTGRES_URL, kongAdminUrl=K8S_ADMIN_FORWARD) is None
    assert problem() is None
    assert (problem(demoBackends=True) or ("",))[0] == "demoBackends"

def test_bad_kubernetes_settings_are_one_line_each(project: Any, capsys: pytest.CaptureFixture[str]) -> None:
    from conftest import edit_yaml

    from gateway.cli.main import main

    def breaks(data: dict[str, Any]) -> None:
        data["config"].update({
            "ai4v-gateway:k8sHpaMaxReplicas": 2,  # below k8sReplicas (3)
            "ai4v-gateway:k8sPostgresUrl": "postgres://kong:hunter2@pg.internal/kong",
            "ai4v-gateway:k8sProxyNodePort": 30080,  # the Service is a LoadBalancer
            "ai4v-gateway:k8sKongMemory": "lots",
        })

    edit_yaml(project / f"Pulumi.{K8S_STACK}.yaml", breaks)
    assert main(["--root", str(project), "validate", "--stack", K8S_STACK]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    prefix = f"Pulumi.{K8S_STACK}.yaml: config.ai4v-gateway:"
    assert sorted(line.split(":")[2] for line in err) == [
        "k8sHpaMaxReplicas", "k8sKongMemory", "k8sPostgresUrl", "k8sProxyNodePort"]
    assert all(line.startswith(prefix) for line in err), err
    assert "hunter2" not in "\n".join(err)


def test_the_rollout_checksum_is_public_so_the_pod_template_stays_reviewable() -> None:
    [deployment] = [r for r in k8s_objects(k8s_run()) if r.type == "kubernetes:apps/v1:Deployment"]
    spec = deployment.inputs["spec"]
    assert not isinstance(spec, Secret)
    annotation = spec["template"]["metadata"]["annotations"]["checksum/config"]
    assert isinstance(annotation, str) and len(annotation) == 64


def test_large_plugin_files_are_split_at_lines_into_configmaps(tmp_path: Path) -> None:
    from gateway.platform.kubernetes.plugins import pack, split_lines

    text = "".join(f"local row{i} = 'ना{i}'\n" for i in range(200))
    parts = split_lines(text, 300)
    assert "".join(parts) == text and all(len(p.encode()) <= 300 for p in parts) and len(parts) > 5
    assert all(p.endswith("\n") for p in parts)  # whole lines: UTF-8 never cut
    with pytest.raises(ValueError, match="does not fit"):
        split_lines("x" * 400 + "\n", 300)
    small, big = tmp_path / "handler.lua", tmp_path / "data.lua"
    small.write_text("return {}\n", encoding="utf-8")
    big.write_text(text, encoding="utf-8")
    packed = pack("p", {"handler.lua": small, "data.lua": big}, limit=1000)
    assert packed.split and packed.files["handler.lua"] == ["handler.lua"]
    assert all(sum(len(k) + len(v.encode()) for k, v in d.items()) <= 1000 for d in packed.configmaps)
    joined = {key: value for d in packed.configmaps for key, value in d.items()}
    assert "".join(joined[k] for k in packed.files["data.lua"]) == text
    assert not pack("p", {"handler.lua": small}, limit=1000).split


def test_plugin_subdirectories_are_keyed_and_projected_to_their_paths(tmp_path: Path) -> None:
    """Issue 24 item 3: a file in a plugin's subdirectory (language-router's detect/) gets a ConfigMap key
    without ``/``; mounted as is, the key is projected back to its path, and a split plugin's init script
    makes the subdirectory before joining the file's parts."""
    from gateway.platform.kubernetes.plugins import assemble_script, pack

    small, data = tmp_path / "handler.lua", tmp_path / "data.lua"
    small.write_text("return {}\n", encoding="utf-8")
    data.write_text("".join(f"local row{i} = {i}\n" for i in range(100)), encoding="utf-8")
    packed = pack("p", {"handler.lua": small, "sub/data.lua": data})
    assert not packed.split and packed.files["sub/data.lua"] == ["sub__data.lua"]
    [configmap] = packed.configmaps
    items = packed.items(configmap) or []
    assert sorted((i.key, i.path) for i in items) == [("handler.lua", "handler.lua"), ("sub__data.lua", "sub/data.lua")]
    split = pack("p", {"handler.lua": small, "sub/data.lua": data}, limit=600)
    assert split.split and split.items(split.configmaps[0]) is None
    src, dst = tmp_path / "src" / "p", tmp_path / "dst" / "p"
    src.mkdir(parents=True)
    dst.mkdir(parents=True)
    for configmap in split.configmaps:
        for key, value in configmap.items():
            (src / key).write_text(value, encoding="utf-8")
    script = assemble_script([split]).replace("/plugin-src/", f"{tmp_path}/src/").replace("/plugin-dst/", f"{tmp_path}/dst/")
    subprocess.run(["sh", "-c", script], check=True)
    assert (dst / "sub" / "data.lua").read_text(encoding="utf-8") == data.read_text(encoding="utf-8")


@pytest.mark.parametrize(("limit", "workers"), [("500m", 1), ("1", 1), ("1500m", 2), ("2", 2), ("3.5", 4)])
def test_workers_follow_the_cpu_limit(limit: str, workers: int) -> None:
    from gateway.platform.kubernetes.kongenv import worker_processes

    assert worker_processes(limit) == workers


def _bytes(quantity: str) -> int:
    match = re.fullmatch(r"([0-9]+)(Mi|Gi)", quantity)
    assert match, quantity
    return int(match.group(1)) << (20 if match.group(2) == "Mi" else 30)


def test_bodies_spill_to_a_volume_sized_for_the_uploads(project: Any, capsys: pytest.CaptureFixture[str]) -> None:
    """Issue 22 item 10: nginx spills every body above 1 MiB (and buffered responses) to temporary files.
    They go to a volume of their own, sized for k8sConcurrentUploads bodies (and responses) of
    edge.max_body_size, not to the prefix's 256 MiB emptyDir, and the pod asks for that ephemeral storage."""
    from gateway.cli.main import main
    from gateway.spec import load_spec

    max_body = load_spec(ROOT / "stacks", K8S_STACK, "dbless").edge.max_body_size
    uploads = read_stack_settings(ROOT, K8S_STACK).kubernetes.concurrent_uploads
    run = k8s_run()
    container = kong_container(run)
    variables = env(container)
    temp_paths = [variables.get("KONG_NGINX_HTTP_CLIENT_BODY_TEMP_PATH", ""),
                  variables.get("KONG_NGINX_HTTP_PROXY_TEMP_PATH", "")]
    [directory] = {path.rsplit("/", 1)[0] for path in temp_paths}
    assert directory and not directory.startswith(names.PREFIX_DIR.rstrip("/"))
    size = _bytes(volume_at(run, directory)["emptyDir"]["sizeLimit"])
    assert size >= 2 * max_body * uploads
    assert variables["KONG_NGINX_HTTP_PROXY_MAX_TEMP_FILE_SIZE"] == kongconf.nginx_size(max_body)
    # the pod's ephemeral storage: every emptyDir of the container at its limit, and room above for logs
    mounted = {m["name"] for m in container["volumeMounts"]}
    limits = sum(_bytes(v["emptyDir"]["sizeLimit"]) for v in pod_spec(run)["volumes"]
                 if v["name"] in mounted and v.get("emptyDir", {}).get("sizeLimit"))
    request = _bytes(container["resources"]["requests"]["ephemeral-storage"])
    assert request >= limits and _bytes(container["resources"]["limits"]["ephemeral-storage"]) > request
    # the setting sizes it, and a wrong value is one line
    config, keys = stack_config(K8S_STACK, k8sConcurrentUploads=str(2 * uploads))
    assert _bytes(volume_at(run_main(K8S_STACK, config, keys), directory)["emptyDir"]["sizeLimit"]) == 2 * size

    from conftest import edit_yaml

    edit_yaml(project / f"Pulumi.{K8S_STACK}.yaml",
              lambda data: data["config"].update({"ai4v-gateway:k8sConcurrentUploads": 0}))
    assert main(["--root", str(project), "validate", "--stack", K8S_STACK]) == 2
    [line] = capsys.readouterr().err.strip().splitlines()
    assert line.startswith(f"Pulumi.{K8S_STACK}.yaml: config.ai4v-gateway:k8sConcurrentUploads:")


def test_bodies_spill_to_the_body_volume_in_real_kong(kong: Any, tmp_path: Path) -> None:
    """Issue 22 item 10: with the pod's nginx settings, Kong 3.9.3 writes the temp paths into nginx's
    http {} block and nginx (``kong prepare`` runs ``nginx -t``, which creates them) keeps client bodies
    and proxy buffers on the body volume, none under the prefix (nginx's compiled-in default)."""
    volume, prefix = tmp_path / "body", tmp_path / "prefix"
    volume.mkdir()  # the mounted volume
    pod = {key: value.replace(names.BODY_TEMP_DIR, str(volume)) for key, value in env(kong_container(k8s_run())).items()
           if key.startswith("KONG_NGINX_HTTP_") and key.endswith("_TEMP_PATH")}
    settings = {"KONG_DATABASE": "off", "KONG_PREFIX": str(prefix), **pod}
    done = subprocess.run([str(kong.kong), "prepare"], env=kong.command_env(os.environ, settings), cwd=kong.lua_dir,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert not (prefix / "client_body_temp").exists() and not (prefix / "proxy_temp").exists()
    assert (volume / "client_body").is_dir() and (volume / "proxy").is_dir()
    http_block = (prefix / "nginx-kong.conf").read_text(encoding="utf-8").split("server {", 1)[0]
    assert f"client_body_temp_path {volume}/client_body;" in http_block


@pytest.mark.parametrize("variant", ["dbless", "db"])
def test_admin_api_listens_on_the_pods_loopback_only(variant: str) -> None:
    """Issue 22 item 11: no other pod can reach the Admin API (and POST /config a new gateway), whether or
    not the cluster enforces NetworkPolicies: it listens on the pod's loopback only, with no Service, port
    or policy rule for it. DB mode reaches it through `kubectl port-forward` (the runtime dials localhost
    inside the pod)."""
    run = k8s_run(variant)
    container = kong_container(run)
    variables = env(container)
    hosts = [entry.strip().split()[0].rsplit(":", 1)[0] for entry in variables["KONG_ADMIN_LISTEN"].split(",")]
    assert len(hosts) == 2 and all(ipaddress.ip_address(host).is_loopback for host in hosts)
    assert variables["KONG_PROXY_LISTEN"].startswith(naming.ANY)  # the proxy still serves the pod's address
    admin_ports = {naming.KONG_ADMIN, naming.KONG_ADMIN_TLS}
    assert not admin_ports & {p["containerPort"] for p in container["ports"]}
    for resource in k8s_objects(run):
        document = manifest(resource)
        if document["kind"] == "Service":
            assert not admin_ports & {p.get("targetPort", p.get("port")) for p in document["spec"].get("ports", [])}
        if document["kind"] == "NetworkPolicy":
            for rule in document["spec"].get("ingress", []):
                assert not admin_ports & {p["port"] for p in rule.get("ports", [])}, resource.name
    if variant == "db":
        assert run.stack_outputs["adminUrl"] == K8S_ADMIN_FORWARD
        [provider] = run.of_type("pulumi:providers:kong")
        assert reveal(provider.inputs["kongAdminUri"]) == K8S_ADMIN_FORWARD
        # the forward the one-line error and docs/KUBERNETES.md give targets this Deployment, at the admin port
        from gateway.platform.interface import deploy_problem
        from gateway.stack.settings import StackSettings

        deployment = one(run, "Deployment", "kong")["metadata"]
        forward = f"kubectl -n {deployment['namespace']} port-forward deploy/{deployment['name']} {naming.KONG_ADMIN}:"
        found = deploy_problem(StackSettings.model_validate(
            {"platform": "kubernetes", "mode": "db", "k8sPostgresUrl": K8S_POSTGRES_URL}), K8S_STACK)
        assert found is not None and f"`{forward}{naming.KONG_ADMIN}`" in found.message
        assert forward in (ROOT / "docs" / "KUBERNETES.md").read_text(encoding="utf-8")


def test_secret_rotation_rolls_the_pods() -> None:
    """Issue 22 item 12: Kong reads the platform Secret's passwords as env at start, so rotating one must
    change the pod template. The checksum is an HMAC under a random key kept secret in state: public in the
    manifest, yet no guess of a value can be checked against it."""
    config, keys = stack_config(K8S_STACK, mode="db")
    first = run_main(K8S_STACK, config, keys)
    checksum = rollout_checksum(first)
    assert isinstance(checksum, str) and len(checksum) == 64  # not a secret: the template stays reviewable
    assert rollout_checksum(run_main(K8S_STACK, config, keys)) == checksum  # no roll without a change
    [secret_resource] = [r for r in k8s_objects(first) if r.name == names.PLATFORM_SECRET]
    values = reveal(secret_resource.inputs["stringData"])
    for value in values.values():
        assert value not in checksum and hashlib.sha256(value.encode()).hexdigest() != checksum
    for key, value in (("redisPassword", "rotated-redis-5d1c0b"), ("postgresPassword", "rotated-pg-7a2e9f")):
        rotated = run_main(K8S_STACK, dict(config, **{f"ai4v-gateway:{key}": value}), [*keys, f"ai4v-gateway:{key}"])
        assert rollout_checksum(rotated) != checksum, key
        assert value not in str(rollout_checksum(rotated))
    redis = rollout_checksum(first, "StatefulSet", names.REDIS)
    assert isinstance(redis, str) and len(redis) == 64

    def other_key(args: Any) -> dict[str, Any] | None:
        if args.typ == "random:index/randomPassword:RandomPassword" and args.name == "checksum-key":
            return {"result": "another-checksum-key-" + "y" * 43}
        return None

    with state_hook(other_key):  # the same values under another key: the annotation depends on the key
        assert rollout_checksum(run_main(K8S_STACK, config, keys)) != checksum


def test_turning_on_the_autoscaler_keeps_the_replica_count() -> None:
    """Issue 22 item 13: server-side apply resets a `replicas` that the applier alone owned and dropped, so
    turning the HPA on must not drop it: the count stays in the object and ignore_changes hands it over to
    the HPA (pulumi-kubernetes handleSSAIgnoreFields); turning it off forces it back (pulumi.com/patchForce)."""
    replicas = read_stack_settings(ROOT, K8S_STACK).kubernetes.replicas

    def deployment(run: Run) -> Registration:
        [found] = [r for r in k8s_objects(run) if r.type == "kubernetes:apps/v1:Deployment"]
        return found

    config, keys = stack_config(K8S_STACK, k8sHpaMaxReplicas="0")
    fixed, scaled = deployment(run_main(K8S_STACK, config, keys)), deployment(k8s_run())
    live = ReplicasField()
    pulumi_apply(live, fixed)  # the stack as it runs today, fixed size
    pulumi_apply(live, scaled)  # `k8sHpaMaxReplicas` set, `pulumi up`
    assert live.value == replicas
    live.update("horizontal-pod-autoscaler", replicas + 2)  # the HPA scales out
    pulumi_apply(live, scaled)  # a later `pulumi up` leaves the HPA's count alone
    assert live.value == replicas + 2 and live.owners == {"horizontal-pod-autoscaler"}
    pulumi_apply(live, fixed)  # the HPA turned off: the fixed count is taken back, not a conflict
    assert live.value == replicas
    # what is sent: the count always, handed over by ignore_changes while the HPA runs
    assert one(k8s_run(), "HorizontalPodAutoscaler", "kong")["spec"]["minReplicas"] == replicas
    for sent in (fixed, scaled):
        assert manifest(sent)["spec"]["replicas"] == replicas
    assert scaled.options["ignore_changes"] == ["spec.replicas"] and fixed.options["ignore_changes"] == []
