#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Install the real clients the format tests read proftui's files with:
#   Debian's golang-go (go tool pprof) and chromium (headless, for the SVG
#   flame graph and speedscope's own page), and, from the npm registry, the
#   pinned packages of package.json (ajv: speedscope's JSON schema;
#   speedscope: its page and schema; playwright-core: drives chromium)
#   into build/clients/node_modules.
# Nothing fails the suite here: what could not be installed is written to
# build/clients/missing.txt, and the tests that need it report it as skipped.
set -uo pipefail
cd "$(dirname "$0")/../.."
out=build/clients
mkdir -p "$out"
: > "$out/missing.txt"

apt_pkgs=()
command -v go >/dev/null 2>&1 || [ -x /usr/lib/go/bin/go ] || apt_pkgs+=(golang-go)
[ -x /usr/bin/chromium ] || apt_pkgs+=(chromium)
command -v npm >/dev/null 2>&1 || apt_pkgs+=(npm)
if [ ${#apt_pkgs[@]} -gt 0 ]; then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    echo "clients: installing ${apt_pkgs[*]}" >&2
    if ! { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
           $sudo apt-get install -y -qq --no-install-recommends "${apt_pkgs[@]}" >/dev/null; }; then
        echo "apt: could not install ${apt_pkgs[*]}" >> "$out/missing.txt"
    fi
fi

if ! cmp -s test/clients/package-lock.json "$out/package-lock.json" || [ ! -d "$out/node_modules" ]; then
    cp test/clients/package.json test/clients/package-lock.json "$out/"
    if ! (cd "$out" && timeout 600 npm ci --no-audit --no-fund --loglevel=error >/dev/null 2>npm.log); then
        echo "npm: could not install test/clients/package.json ($(tail -n 1 "$out/npm.log" 2>/dev/null))" \
            >> "$out/missing.txt"
        rm -f "$out/package-lock.json"
    fi
fi
if [ -s "$out/missing.txt" ]; then
    echo "clients: missing (the tests that need them are skipped):" >&2
    cat "$out/missing.txt" >&2
fi
exit 0
