#!/usr/bin/env bash
# What we ship for deployment, checked offline: yamllint on every YAML file
# under deploy/; the Kubernetes manifests against the API's own models
# (k8s_schema.py, Debian's python3-kubernetes: kubectl's validation needs an
# API server); `kubectl kustomize` renders them (Debian 12's
# kubernetes-client, or any kubectl); `promtool check config` on every
# Prometheus configuration we ship; with a daemon and its modules, the
# exporterd.yml of every Kubernetes ConfigMap passes `exporterd --config.check`.
#
# usage: deploy_test.sh <repository root> [<exporterd binary> <module dir>]
set -euo pipefail
ROOT=$1
BIN=${2:-}
MODDIR=${3:-}
cd "$ROOT"
. tests/lib/common.sh
need_tools yamllint kubectl promtool
mapfile -t yamls < <(find deploy -name '*.yml' -o -name '*.yaml' | sort)
check "yamllint deploy/ (${#yamls[@]} files)" yamllint -s -c deploy/.yamllint "${yamls[@]}"
check "Kubernetes manifests match the API's models" \
  /usr/bin/python3 tests/lint/k8s_schema.py deploy/kubernetes/*.yaml
check "kubectl kustomize deploy/kubernetes renders" \
  sh -c "kubectl kustomize deploy/kubernetes >/dev/null"
for f in deploy/prometheus/*.yml deploy/kubernetes/prometheus-scrape.yml; do
  check "promtool check config $f" sh -c "promtool check config '$f' >/dev/null 2>&1"
done
if [[ -n $BIN ]]; then
  work_dir deploy
  for f in deploy/kubernetes/*.yaml; do
    /usr/bin/python3 - "$f" "$WORK/$(basename "$f" .yaml)" <<'PY'
import sys, yaml
for n, d in enumerate(yaml.safe_load_all(open(sys.argv[1]))):
    if d and d.get("kind") == "ConfigMap" and "exporterd.yml" in d.get("data", {}):
        base = f"{sys.argv[2]}-{d['metadata']['name']}"
        open(base + ".yml", "w").write(d["data"]["exporterd.yml"])
        mods = yaml.safe_load(d["data"]["exporterd.yml"]).get("modules") or {}
        open(base + ".modules", "w").write(" ".join(mods))
PY
  done
  for c in "$WORK"/*.yml; do
    missing=""
    for m in $(cat "${c%.yml}.modules"); do
      [[ -f $MODDIR/exporterd_$m.so ]] || missing+=" $m"
    done
    if [[ -n $missing ]]; then
      echo "skip: ConfigMap $(basename "$c" .yml): not built:$missing"
      continue
    fi
    check "exporterd --config.check on ConfigMap $(basename "$c" .yml)" \
      sh -c "'$BIN' --config.check --config.file='$c' --module.dir='$MODDIR' >/dev/null 2>&1"
  done
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
