#!/usr/bin/env bash
# One-time set-up that `make` runs before anything else: the Python virtual
# environment with the pinned packages, and the Debian tools the flow needs.
# Usage: scripts/bootstrap.sh <venv-dir> <debian-package:command>...
set -euo pipefail
venv=$1; shift

need_apt=()
for spec in "$@"; do
  pkg=${spec%%:*}; cmd=${spec#*:}
  command -v "$cmd" >/dev/null 2>&1 || need_apt+=("$pkg")
done
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "bootstrap: installing Debian packages: ${need_apt[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -q "${need_apt[@]}" >/dev/null 2>&1 || {
      apt-get update -q >/dev/null
      apt-get install -y -q "${need_apt[@]}" >/dev/null
    }
  else
    echo "bootstrap: missing tools; install the Debian packages: ${need_apt[*]}" >&2
    echo "           (for example: sudo apt-get install ${need_apt[*]})" >&2
    exit 1
  fi
fi

stamp="$venv/.installed"
if [ ! -f "$stamp" ] || [ requirements.lock -nt "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install -q --upgrade pip
  "$venv/bin/python" -m pip install -q -r requirements.lock
  "$venv/bin/python" -m pip install -q --no-deps -e .
  touch "$stamp"
fi
