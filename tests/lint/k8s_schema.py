#!/usr/bin/python3
"""Offline schema check of Kubernetes manifests: every key of every object of
a built-in kind must be a field of that kind's model in Debian's
python3-kubernetes (the client's generated OpenAPI models), recursively.
kubectl's own validation needs an API server; this does not. Kinds the
client has no model for (Operator CRDs) are reported and skipped.

usage: k8s_schema.py FILE.yaml...    exit 1 on an unknown or misplaced key
"""
import re
import sys

import kubernetes.client as k8s
import yaml

SCALARS = {"str", "int", "bool", "float", "object", "datetime", "date"}


BUILTIN_GROUPS = {"", "apps", "batch", "policy", "autoscaling"} | {
    g + ".k8s.io" for g in ("networking", "rbac.authorization", "storage",
                            "scheduling", "coordination", "node", "discovery",
                            "admissionregistration", "apiextensions",
                            "certificates")}


def model_for(api_version, kind):
    group, _, version = api_version.rpartition("/")
    if group not in BUILTIN_GROUPS:
        return None
    name = "V1" + kind if version == "v1" else version.capitalize() + kind
    return getattr(k8s, name, None)


def check(value, type_name, path, errors):
    m = re.fullmatch(r"list\[(.+)\]", type_name)
    if m:
        if not isinstance(value, list):
            errors.append(f"{path}: want a list")
            return
        for i, v in enumerate(value):
            check(v, m.group(1), f"{path}[{i}]", errors)
        return
    m = re.fullmatch(r"dict\(str, (.+)\)", type_name)
    if m:
        if not isinstance(value, dict):
            errors.append(f"{path}: want a mapping")
            return
        for k, v in value.items():
            check(v, m.group(1), f"{path}.{k}", errors)
        return
    if type_name in SCALARS:
        if isinstance(value, (dict, list)) and type_name != "object":
            errors.append(f"{path}: want a {type_name}")
        return
    cls = getattr(k8s, type_name, None)
    if cls is None:
        return
    if not isinstance(value, dict):
        errors.append(f"{path}: want a {type_name} mapping")
        return
    by_json = {j: a for a, j in cls.attribute_map.items()}
    for key, v in value.items():
        if key not in by_json:
            errors.append(f"{path}.{key}: not a field of {type_name}")
            continue
        check(v, cls.openapi_types[by_json[key]], f"{path}.{key}", errors)


def main(files):
    errors, checked, skipped = [], 0, []
    for f in files:
        with open(f) as fh:
            for n, doc in enumerate(yaml.safe_load_all(fh)):
                if not doc:
                    continue
                kind, api = doc.get("kind"), doc.get("apiVersion", "")
                where = f"{f}#{n} {kind} {doc.get('metadata', {}).get('name')}"
                if api.startswith("kustomize.config.k8s.io"):
                    continue
                cls = model_for(api, kind)
                if cls is None:
                    skipped.append(where)
                    continue
                check(doc, cls.__name__, where, errors)
                checked += 1
    for s in skipped:
        print(f"skipped (no model in python3-kubernetes): {s}")
    for e in errors:
        print(f"error: {e}")
    print(f"{checked} objects checked, {len(skipped)} skipped, {len(errors)} errors")
    return 1 if errors or checked == 0 else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
