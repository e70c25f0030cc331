#!/usr/bin/env bash
# Prints the rampart-rules ConfigMap built from a rules directory (default: the repository's rules/):
#   deploy/kubernetes/rules-configmap.sh | kubectl apply -f -
# ConfigMap keys cannot contain "/", so each file's key is its path with "/" turned into "." (firewall/sqli.yaml
# becomes firewall.sqli.yaml); deployment.yaml projects every key back to its path. Apply it again after
# editing the rules: the kubelet swaps the mounted files and Rampart reloads them (the old rules keep
# serving if the new ones are broken).
set -euo pipefail
rules=${1:-"$(dirname "$0")/../../rules"}
cd "$rules"
echo "apiVersion: v1"
echo "kind: ConfigMap"
echo "metadata:"
echo "  name: rampart-rules"
echo "  labels: {app.kubernetes.io/name: rampart}"
echo "data:"
find . -type f \( -name '*.yaml' -o -name '*.yml' -o -name '*.txt' \) ! -path '*/.*' | sed 's#^\./##' | sort | while read -r path; do
    echo "  ${path//\//.}: |"
    sed 's/^/    /' "$path"
done
