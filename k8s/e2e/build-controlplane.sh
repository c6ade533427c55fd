#!/usr/bin/env bash
# Build the real kube-apiserver and kube-controller-manager that the
# Kubernetes end-to-end tests run against, once per version, into a cache
# outside the checkout (CI runs in a fresh clone). Prints the cache folder.
#
#   k8s/e2e/build-controlplane.sh            build or reuse, print the folder
#   SCALELAB_K8S_CACHE=DIR ...                cache root (default ~/.cache/scalelab)
#
# The version is the k8s.io/kubernetes requirement in controlplane/go.mod;
# changing it there is what triggers a rebuild.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
mod="$here/controlplane"
version="$(awk '$1=="require" && $2=="k8s.io/kubernetes" {print $3}' "$mod/go.mod")"
if [ -z "$version" ]; then
  echo "build-controlplane: no k8s.io/kubernetes requirement in $mod/go.mod" >&2
  exit 1
fi
root="${SCALELAB_K8S_CACHE:-$HOME/.cache/scalelab}"
out="$root/k8s-$version"
mkdir -p "$out"
# Component versions as a release build reports them (kubectl version, /version).
major="${version#v}"; major="${major%%.*}"
minor="${version#v*.}"; minor="${minor%%.*}"
pkg=k8s.io/component-base/version
ldflags="-s -w -X $pkg.gitVersion=$version -X $pkg.gitMajor=$major -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean"
for cmd in kube-apiserver kube-controller-manager; do
  if [ -x "$out/$cmd" ]; then
    echo "build-controlplane: reusing $out/$cmd" >&2
    continue
  fi
  echo "build-controlplane: building $cmd $version (several minutes from cold)" >&2
  start=$(date +%s)
  # Build to a temporary name (per build, as two runs may race) so an
  # interrupted build is never reused; the rename is atomic.
  tmp="$out/$cmd.tmp.$$"
  (cd "$mod" && go build -trimpath -ldflags "$ldflags" -o "$tmp" "k8s.io/kubernetes/cmd/$cmd")
  mv "$tmp" "$out/$cmd"
  echo "build-controlplane: built $cmd in $(( $(date +%s) - start ))s" >&2
done
echo "$out"
