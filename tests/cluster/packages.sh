#!/bin/sh
# Debian packages the test cluster needs (build tools, etcd, the node's container runtime and CNI).
set -eu
PKGS="golang-1.19-go golang-github-modern-go-reflect2-dev etcd-server containerd runc \
containernetworking-plugins rsync make gcc libc6-dev iproute2 iptables"
missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
# Keep packaged services (etcd, containerd) from starting: the tests start their own instances.
[ -e /usr/sbin/policy-rc.d ] || printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
chmod +x /usr/sbin/policy-rc.d
# shellcheck disable=SC2086
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing
