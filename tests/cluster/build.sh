#!/bin/sh
# Build the test cluster's Kubernetes 1.20.2 binaries from Debian's `kubernetes` source package,
# offline (the Go module proxy is unreachable), once per machine: a machine that already holds
# them in $KUBE_TEST_CACHE skips everything. About 5 minutes cold on 2 cores.
#   tests/cluster/build.sh            build unless cached (waits for a build already running)
#   tests/cluster/build.sh --cached   exit 0 if the binaries are cached, 1 if not
set -eu

VERSION=1.20.2
# Not ALOFT_*: aloft refuses an ALOFT_ variable that names no setting, and the tests run aloft.
CACHE=${KUBE_TEST_CACHE:-/var/cache/aloft/kubernetes-$VERSION}
BINS="kube-apiserver kube-controller-manager kube-scheduler kubelet kubectl"

have_all() {
    for b in $BINS pause; do [ -x "$CACHE/bin/$b" ] || return 1; done
    return 0
}
if [ "${1:-}" = --cached ]; then
    have_all  # the answer is the exit status: 0 when nothing is left to build
    exit
fi
if have_all; then
    echo "cluster binaries cached in $CACHE/bin"
    exit 0
fi
# One build at a time: scripts/bootstrap starts one in the background and the cluster tests'
# fixture runs this script again, which waits here for that build and then finds the binaries.
mkdir -p "$(dirname "$CACHE")"
exec 9>"$CACHE.lock"
flock 9
if have_all; then
    echo "cluster binaries cached in $CACHE/bin (built while this run waited)"
    exit 0
fi

HERE=$(cd "$(dirname "$0")" && pwd)
WORK=$(mktemp -d /var/tmp/aloft-kube-build.XXXXXX)
trap 'rm -rf "$WORK"' EXIT INT TERM

# Build tools and the node's runtime pieces, all from Debian.
"$HERE/packages.sh"

# A private apt state with deb-src entries derived from the machine's own sources, so the host's
# apt configuration is never changed and no mirror host is hard-coded.
mkdir -p "$WORK/apt/lists/partial" "$WORK/apt/sources.d"
for f in /etc/apt/sources.list.d/*.sources; do
    [ -e "$f" ] || continue
    sed -e 's/^Types: deb$/Types: deb-src/' "$f" > "$WORK/apt/sources.d/$(basename "$f")"
done
APT_OPTS="-o Dir::Etc::SourceList=/dev/null -o Dir::Etc::SourceParts=$WORK/apt/sources.d \
  -o Dir::State::Lists=$WORK/apt/lists -o APT::Sandbox::User=root"
mkdir -p "$CACHE/src"
if ! ls "$CACHE"/src/kubernetes_*.dsc >/dev/null 2>&1; then
    # shellcheck disable=SC2086
    apt-get $APT_OPTS -qq update
    # shellcheck disable=SC2086
    (cd "$CACHE/src" && apt-get $APT_OPTS -qq source --download-only kubernetes)
fi
dpkg-source -x "$CACHE"/src/kubernetes_*.dsc "$WORK/kubernetes" >/dev/null
cd "$WORK/kubernetes"

# The vendored reflect2 1.0.1 crashes at run time with Go >= 1.18; 1.0.2 from Debian fixes it.
R2=vendor/github.com/modern-go/reflect2
rm -rf "$R2" && mkdir -p "$R2"
cp -r /usr/share/gocode/src/github.com/modern-go/reflect2/. "$R2/"
rm -rf "$R2"/test* "$R2"/*_test.go
sed -i 's#github.com/modern-go/reflect2 v1.0.1#github.com/modern-go/reflect2 v1.0.2#' \
    go.mod vendor/modules.txt staging/src/k8s.io/*/go.mod

# GOPATH arranged as the package's debian/rules does.
mkdir -p .go/src/k8s.io
ln -s ../../.. .go/src/k8s.io/kubernetes
export GOPATH="$PWD/.go" PATH="/usr/lib/go-1.19/bin:$PATH" CGO_ENABLED=0 \
    GOFLAGS=-mod=vendor GOPROXY=off GOCACHE="$WORK/gocache" HOME="$WORK"
make WHAT="cmd/kube-apiserver cmd/kube-controller-manager cmd/kube-scheduler cmd/kubelet cmd/kubectl"

mkdir -p "$CACHE/bin.new"
for b in $BINS; do cp "_output/bin/$b" "$CACHE/bin.new/$b"; done
# The sandbox ("pause") container's program: no public registry is reachable to pull one.
gcc -static -Os -o "$CACHE/bin.new/pause" "$HERE/pause.c"
rm -rf "$CACHE/bin" && mv "$CACHE/bin.new" "$CACHE/bin"
echo "cluster binaries built into $CACHE/bin"
