"""Smoke test of the official Kubernetes Python client against k8ts.

usage: python3 smoke.py KUBECONFIG NAMESPACE

Prints one JSON object per step on stdout (the Node test checks them) and exits non-zero
on the first unexpected result.
"""
import json
import sys

from kubernetes import client, config
from kubernetes.client.rest import ApiException


def step(_step, **values):
    print(json.dumps({"step": _step, **values}, sort_keys=True), flush=True)


def main(kubeconfig, namespace):
    config.load_kube_config(config_file=kubeconfig)
    core = client.CoreV1Api()

    namespaces = core.list_namespace()
    step("list-namespaces", names=sorted(n.metadata.name for n in namespaces.items),
         resourceVersion=namespaces.metadata.resource_version)

    ns = core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=namespace)))
    step("create-namespace", name=ns.metadata.name, phase=ns.status.phase)

    body = client.V1ConfigMap(
        metadata=client.V1ObjectMeta(name="py-config", labels={"app": "py", "tier": "backend"}),
        data={"greeting": "hello", "answer": "42"},
    )
    created = core.create_namespaced_config_map(namespace, body)
    step("create-configmap", name=created.metadata.name, namespace=created.metadata.namespace,
         uid=created.metadata.uid, resourceVersion=created.metadata.resource_version,
         created=created.metadata.creation_timestamp.isoformat())
    core.create_namespaced_config_map(namespace, client.V1ConfigMap(
        metadata=client.V1ObjectMeta(name="py-other", labels={"app": "other"}), data={"x": "y"}))

    read = core.read_namespaced_config_map("py-config", namespace)
    step("read-configmap", name=read.metadata.name, data=read.data, labels=read.metadata.labels,
         resourceVersion=read.metadata.resource_version, kind=read.kind, apiVersion=read.api_version)

    selected = core.list_namespaced_config_map(namespace, label_selector="app=py")
    step("list-selector", names=[c.metadata.name for c in selected.items])
    not_other = core.list_namespaced_config_map(namespace, label_selector="app,app!=other")
    step("list-selector-set", names=[c.metadata.name for c in not_other.items])

    patched = core.patch_namespaced_config_map("py-config", namespace, {"data": {"answer": "43"}})
    step("patch-configmap", data=patched.data)

    try:
        core.create_namespaced_config_map(namespace, body)
        step("create-duplicate", status=None)
    except ApiException as e:
        status = json.loads(e.body)
        step("create-duplicate", status=e.status, reason=status.get("reason"), message=status.get("message"))

    deleted = core.delete_namespaced_config_map("py-config", namespace)
    step("delete-configmap", status=deleted.status, name=deleted.details.name)
    core.delete_namespaced_config_map("py-other", namespace)

    try:
        core.read_namespaced_config_map("py-config", namespace)
        step("read-deleted", status=None)
    except ApiException as e:
        status = json.loads(e.body)
        step("read-deleted", status=e.status, reason=status.get("reason"), message=status.get("message"))

    core.delete_namespace(namespace)
    step("done")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    main(sys.argv[1], sys.argv[2])
