# Sourced by aloft's setup scripts: install Debian packages without changing the machine for good.
#
# apt_install PKG...   installs the packages that are missing. While it runs, a policy-rc.d keeps
#                      packaged services (redis, etcd, containerd, the registry) from starting, as
#                      the tests start their own on loopback; the file is removed afterwards, also on
#                      failure or Ctrl-C, if this function created it. A policy-rc.d that was already
#                      there is left exactly as it was.
# apt_missing PKG...   prints the packages among PKG that are not installed.
# apt_can_install      succeeds when apt-get exists and we are root or have sudo.

_apt_as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo -n "$@"; fi; }

apt_missing() {
  local pkg
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || echo "$pkg"
  done
}

apt_can_install() {
  command -v apt-get >/dev/null 2>&1 || return 1
  [ "$(id -u)" = 0 ] || sudo -n true 2>/dev/null
}

# Reads a package list (one package a line, '#' comments) and prints the names.
apt_list() { sed -e 's/#.*//' -e 's/[[:space:]]*$//' "$@" | awk 'NF {print $1}'; }

_apt_known() {
  local pkg
  for pkg in "$@"; do
    apt-cache policy "$pkg" 2>/dev/null | grep -q 'Candidate: [^(]' || return 1
  done
}

_apt_get_install() {
  _apt_as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "$@" >/dev/null
}

apt_install() {
  local missing policy=/usr/sbin/policy-rc.d created=false rc=0
  missing=$(apt_missing "$@")
  [ -n "$missing" ] || return 0
  if ! apt_can_install; then
    echo "setup: needs Debian packages $(echo $missing) and cannot install them here (needs apt-get and root or sudo); install them, then run again" >&2
    return 1
  fi
  echo "setup: installing Debian packages: $(echo $missing)" >&2
  if [ ! -e "$policy" ]; then
    created=true
    # Removed on every way out of this function, including Ctrl-C and a failed install.
    trap '_apt_as_root rm -f '"$policy"'; trap - INT TERM; kill -INT $$' INT
    trap '_apt_as_root rm -f '"$policy"'; trap - INT TERM; kill -TERM $$' TERM
    printf '#!/bin/sh\n# written by aloft setup for the duration of one install\nexit 101\n' \
      | _apt_as_root tee "$policy" >/dev/null
    _apt_as_root chmod +x "$policy"
  fi
  # apt-get update only when the package lists lack one of them, or the install fails on stale lists.
  # shellcheck disable=SC2086
  if ! _apt_known $missing || ! _apt_get_install $missing; then
    { _apt_as_root apt-get update -qq && _apt_get_install $missing; } || rc=$?
  fi
  if $created; then
    _apt_as_root rm -f "$policy"
    trap - INT TERM
  fi
  return $rc
}
