#!/usr/bin/env bash
# What we ship for deployment, checked offline: yamllint on every YAML file
# under deploy/; the Kubernetes manifests against the API's own models
# (k8s_schema.py, Debian's python3-kubernetes: kubectl's validation needs an
# API server); `kubectl kustomize` renders them when a kubectl is installed
# (Debian 12's kubernetes-client, optional); `promtool check config` on every
# Prometheus configuration we ship.
#
# usage: deploy_test.sh <repository root>
set -euo pipefail
ROOT=$1
cd "$ROOT"
. tests/lib/common.sh
mapfile -t yamls < <(find deploy -name '*.yml' -o -name '*.yaml' | sort)
check "yamllint deploy/ (${#yamls[@]} files)" yamllint -s -c deploy/.yamllint "${yamls[@]}"
check "Kubernetes manifests match the API's models" \
  /usr/bin/python3 tests/lint/k8s_schema.py deploy/kubernetes/*.yaml
if command -v kubectl >/dev/null; then
  check "kubectl kustomize deploy/kubernetes renders" \
    sh -c "kubectl kustomize deploy/kubernetes >/dev/null"
else
  echo "skip: kubectl kustomize (no kubectl installed)"
fi
for f in deploy/prometheus/*.yml deploy/kubernetes/prometheus-scrape.yml; do
  check "promtool check config $f" sh -c "promtool check config '$f' >/dev/null 2>&1"
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
