#!/usr/bin/env bash
# Provision a real Kubernetes 1.20 cluster's binaries (etcd, kube-apiserver,
# kube-controller-manager, kube-scheduler, kubelet) for the end-to-end tests.
#
# The binaries land in an envtest/KUBEBUILDER_ASSETS layout outside the repo:
#   ${WSW_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/workspace-storage-webhook}/kube-1.20.2/bin/
# The last line on stdout is that directory; progress goes to stderr.
#
# Only the npm registry and Debian's archive are reachable from our machines, so:
#   - etcd comes from Debian's `etcd-server` package (3.4);
#   - kube-apiserver, kube-controller-manager, kube-scheduler and kubelet are built from Debian bookworm's
#     `kubernetes` source package (1.20.2, Go deps vendored) with Debian's Go 1.19,
#     after applying the patches in scripts/kube-1.20-patches/ (see each file's header).
#
# Idempotent: when the binaries and the marker file exist it does nothing. It does
# not rebuild when this script or the patches change: delete the kube-1.20.2 dir to
# force a rebuild. Set WSW_KEEP_BUILD_TREE=1 to keep the source tree and Go build
# cache after a successful build (otherwise ~3 GiB are removed).
#
# WSW_AGNHOST=1 also builds agnhost (test/images/agnhost from the same source: Kubernetes' own e2e webhook), which
# `npm run bench` runs beside the webhook; the tests do not need it. With the control-plane binaries already
# cached, only agnhost is built (about 2 minutes on 2 cores).
set -euo pipefail

readonly KUBE_VERSION=1.20.2
readonly SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
readonly PATCH_DIR="${SCRIPT_DIR}/kube-1.20-patches"
readonly CACHE_ROOT="${WSW_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/workspace-storage-webhook}"
readonly KUBE_DIR="${CACHE_ROOT}/kube-${KUBE_VERSION}"
readonly BIN_DIR="${KUBE_DIR}/bin"
readonly SRC_DIR="${KUBE_DIR}/src"
readonly MARKER="${BIN_DIR}/.provisioned"
readonly BUILD_LOG="${KUBE_DIR}/build.log"
# Our own deb-src entry: a separate file so the image's debian.sources stays untouched.
# Built from the kubernetes source package, in one `make` so they share the Go build cache.
readonly KUBE_BINARIES=(kube-apiserver kube-controller-manager kube-scheduler kubelet)
readonly DEB_SRC_FILE=/etc/apt/sources.list.d/workspace-storage-webhook-deb-src.sources

log() { printf '[provision-control-plane] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

complete() {
  [[ -f "${MARKER}" && -x "${BIN_DIR}/etcd" ]] || return 1
  local b
  for b in "${KUBE_BINARIES[@]}"; do [[ -x "${BIN_DIR}/${b}" ]] || return 1; done
  [[ "${WSW_AGNHOST:-0}" != 1 || -x "${BIN_DIR}/agnhost" ]] || return 1
}

# Fast path, before taking any lock or touching apt.
if complete; then
  echo "${BIN_DIR}"
  exit 0
fi

SUDO=()
if [[ ${EUID} -ne 0 ]]; then
  command -v sudo >/dev/null || die "not root and no sudo: cannot apt-get install"
  SUDO=(sudo)
fi

mkdir -p "${BIN_DIR}"
# Two test runs provisioning at once would build into the same tree.
exec 9>"${KUBE_DIR}/.lock"
if ! flock -n 9; then
  log "another provisioning run holds ${KUBE_DIR}/.lock; waiting for it"
  flock 9
fi
if complete; then
  echo "${BIN_DIR}"
  exit 0
fi

apt_updated=0
apt_update_once() {
  if [[ ${apt_updated} -eq 0 ]]; then
    log "apt-get update"
    "${SUDO[@]}" apt-get update -qq >&2
    apt_updated=1
  fi
}

apt_install() {
  apt_update_once
  log "apt-get install $*"
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq --no-install-recommends "$@" >&2
}

# --- etcd ------------------------------------------------------------------
# The package's postinst may start a system etcd on 2379 where an init system
# runs; the tests never use it (they start their own etcd on random ports).
if [[ ! -x "${BIN_DIR}/etcd" ]]; then
  [[ -x /usr/bin/etcd ]] || apt_install etcd-server
  install -m 0755 /usr/bin/etcd "${BIN_DIR}/etcd"
  log "etcd: $("${BIN_DIR}/etcd" --version | head -n1)"
fi

# --- kube-apiserver, kube-controller-manager, kube-scheduler, kubelet ----------
build_kube() {
  local need=()
  command -v go >/dev/null || need+=(golang-go)
  command -v rsync >/dev/null || need+=(rsync)
  command -v make >/dev/null || need+=(make)
  command -v dpkg-source >/dev/null || need+=(dpkg-dev)
  command -v patch >/dev/null || need+=(patch)
  if [[ ${#need[@]} -gt 0 ]]; then apt_install "${need[@]}"; fi
  log "$(go version)"

  # `apt-get source` needs a deb-src entry for bookworm main.
  if ! apt-cache showsrc kubernetes 2>/dev/null | grep -q "^Version: .*${KUBE_VERSION}"; then
    if [[ ! -f "${DEB_SRC_FILE}" ]]; then
      log "adding ${DEB_SRC_FILE}"
      "${SUDO[@]}" tee "${DEB_SRC_FILE}" >/dev/null <<'EOF'
# Added by workspace-storage-webhook scripts/provision-control-plane.sh:
# source packages, to build kube-apiserver 1.20 for the end-to-end tests.
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
    fi
    apt_updated=0
    apt_update_once
  fi

  rm -rf "${SRC_DIR}"
  mkdir -p "${SRC_DIR}"
  log "apt-get source kubernetes (into ${SRC_DIR})"
  (cd "${SRC_DIR}" && apt-get source -qq kubernetes >&2)
  local tree
  tree="$(find "${SRC_DIR}" -mindepth 1 -maxdepth 1 -type d -name "kubernetes-*${KUBE_VERSION}*" | head -n1)"
  [[ -n "${tree}" && -f "${tree}/Makefile" ]] || die "no unpacked kubernetes-*${KUBE_VERSION}* tree in ${SRC_DIR}"

  local p
  for p in "${PATCH_DIR}"/*.patch; do
    log "applying $(basename "${p}")"
    patch -d "${tree}" -p1 --forward --quiet <"${p}" >&2
  done

  # Mirror debian/rules: GOPATH mode (hack/lib/init.sh forces GO111MODULE=off)
  # with the tree reachable as k8s.io/kubernetes inside GOPATH, CGO off.
  mkdir -p "${tree}/.go/src/k8s.io"
  [[ -L "${tree}/.go/src/k8s.io/kubernetes" ]] || ln -s ../../.. "${tree}/.go/src/k8s.io/kubernetes"

  local what=() built=() b
  for b in "${KUBE_BINARIES[@]}"; do [[ -x "${BIN_DIR}/${b}" ]] || { what+=("cmd/${b}"); built+=("${b}"); }; done
  local agnhost=0
  [[ "${WSW_AGNHOST:-0}" == 1 && ! -x "${BIN_DIR}/agnhost" ]] && agnhost=1
  log "building ${built[*]}$([[ ${agnhost} == 1 ]] && echo ' agnhost') (about 11 minutes on 2 cores for all; log: ${BUILD_LOG})"
  local start=${SECONDS}
  if ! (
    cd "${tree}/.go/src/k8s.io/kubernetes" &&
      export GOPATH="${tree}/.go" GOCACHE="${KUBE_DIR}/.gocache" CGO_ENABLED=0 PATH="/usr/lib/go/bin:${PATH}" &&
      if [[ ${#what[@]} -gt 0 ]]; then make WHAT="${what[*]}"; fi &&
      if [[ ${agnhost} == 1 ]]; then GO111MODULE=off go build -o _output/bin/agnhost ./test/images/agnhost; fi
  ) >"${BUILD_LOG}" 2>&1; then
    tail -n 40 "${BUILD_LOG}" >&2
    die "build failed; full log in ${BUILD_LOG}"
  fi
  log "build took $((SECONDS - start)) s"

  for b in "${built[@]}"; do
    install -m 0755 "${tree}/_output/bin/${b}" "${BIN_DIR}/${b}"
    log "${b}: $("${BIN_DIR}/${b}" --version)"
  done
  if [[ ${agnhost} == 1 ]]; then
    install -m 0755 "${tree}/_output/bin/agnhost" "${BIN_DIR}/agnhost"
    log "agnhost: built from test/images/agnhost"
  fi

  if [[ "${WSW_KEEP_BUILD_TREE:-0}" != 1 ]]; then
    log "removing the source tree and Go build cache"
    rm -rf "${SRC_DIR}" "${KUBE_DIR}/.gocache"
  fi
}

missing_kube=0
for b in "${KUBE_BINARIES[@]}"; do [[ -x "${BIN_DIR}/${b}" ]] || missing_kube=1; done
[[ "${WSW_AGNHOST:-0}" == 1 && ! -x "${BIN_DIR}/agnhost" ]] && missing_kube=1
if [[ ${missing_kube} -eq 1 ]]; then
  build_kube
fi

# The marker records what went into the cache; nothing reads it except humans
# and complete(), which only checks that it exists.
{
  echo "kubernetes=${KUBE_VERSION} (Debian source package, built with $(go version 2>/dev/null | awk '{print $3}'))"
  echo "etcd=$("${BIN_DIR}/etcd" --version | awk 'NR==1{print $3}')"
  echo "patches=$(cat "${PATCH_DIR}"/*.patch | sha256sum | awk '{print $1}')"
  echo "provisioned=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
} >"${MARKER}"

log "done"
echo "${BIN_DIR}"
