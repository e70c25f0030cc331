#!/usr/bin/env bash
# Installs what building and testing Rampart needs on Debian, only when something is missing.
# Run as root (or with sudo available). Safe to run again: it does nothing when all is present.
set -euo pipefail

packages=(libpcre2-dev zlib1g-dev libssl-dev pkg-config python3 python3-pip curl redis-server)
[[ "${RAMPART_BENCH:-0}" == 1 ]] && packages+=(wrk valgrind nginx)
# The tests render the admin dashboard in a real headless browser.
[[ "${RAMPART_TEST:-0}" == 1 ]] && packages+=(chromium fonts-dejavu-core systemd)

have_python=0
command -v python3 >/dev/null 2>&1 && python3 -m pip --version >/dev/null 2>&1 && have_python=1

missing=()
for package in "${packages[@]}"; do
    # A python3 with pip already on PATH (pyenv, a venv) is as good as Debian's.
    [[ $have_python == 1 && $package == python3* ]] && continue
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done

as_root() { if [[ $(id -u) == 0 ]]; then "$@"; else sudo "$@"; fi; }

if ((${#missing[@]})); then
    echo "==> installing Debian packages: ${missing[*]}"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# Flask is the real peer the session tests check cookies against.
if ! python3 -c "import flask" >/dev/null 2>&1; then
    echo "==> installing Flask (test peer)"
    python3 -m pip install --quiet flask 2>/dev/null \
        || python3 -m pip install --quiet --break-system-packages flask 2>/dev/null \
        || { as_root apt-get update -qq && as_root apt-get install -y -qq python3-flask >/dev/null; }
fi

command -v swift >/dev/null 2>&1 || { echo "error: the Swift toolchain (swift 6) is not on PATH" >&2; exit 1; }
