#!/usr/bin/env bash
# Debian packages the test cluster needs (build tools, etcd, the node's container runtime and CNI),
# installed through scripts/lib/apt.sh: packaged services are kept from starting only for the
# duration of the install (the tests start their own instances).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../../scripts/lib/apt.sh
. "$HERE/../../scripts/lib/apt.sh"
apt_install golang-1.19-go golang-github-modern-go-reflect2-dev etcd-server containerd runc \
  containernetworking-plugins rsync make gcc libc6-dev iproute2 iptables
