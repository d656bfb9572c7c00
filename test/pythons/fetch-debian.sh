#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Fetches Debian unstable's CPython 3.14 and 3.15 into the build tree for the
# test suite and the benchmark (./dev test and ./dev bench call it), without
# installing anything into the system:
#   - a private apt configuration under $CACHE/apt (its own sources list for sid,
#     lists, cache, an empty dpkg status) runs `apt-get update` and
#     `apt-get download` of the interpreters and the runtime libraries they need;
#   - `dpkg -x` unpacks every package into $CACHE/root;
#   - usr/bin/python3.X (libpython linked in, "static") is patched to use that
#     root's dynamic loader and libraries; usr/bin/python3.X-shared is a small
#     launcher linked to libpython3.X.so.1.0 ("shared").
# Each interpreter must run `import threading, json, asyncio, zlib, hashlib,
# ssl, sqlite3` with sys.prefix in $CACHE/root/usr. $CACHE/ready, written last,
# says which are usable and why not the others (test/pythons/debian.py reads
# it). When it is there without a failure, and this script, $CACHE and the
# mirror are unchanged, nothing is done; a failed interpreter is tried again on
# the next run. When the archive can't be reached or a common step fails,
# $CACHE/why-not says why, nothing is left marked ready, and the exit status is
# still 0: the tests then report those interpreters as skipped with that reason.
#
# $PROFTUI_DEBIAN_PYTHONS overrides $CACHE (default <repo>/build/debian-pythons),
# $PROFTUI_DEBIAN_MIRROR the archive (default http://deb.debian.org/debian);
# --refresh fetches again even when ready (e.g. for a new sid upload).
set -uo pipefail

REPO=$(cd "$(dirname "$0")/../.." && pwd)
CACHE=$(realpath -m "${PROFTUI_DEBIAN_PYTHONS:-$REPO/build/debian-pythons}")  # patched in: absolute
MINORS=(14 15)
# The shared libraries that python3.X and the stdlib's extension modules link
# (apt-cache depends on libpython3.X-stdlib, less the data-only packages and
# libdb5.3t64, which only 3.14's _dbm links: that module alone would resolve
# it from the system, if at all).
LIBS=(libc6 libgcc-s1 libexpat1 zlib1g libzstd1 liblzma5 libbz2-1.0 libssl3t64 libffi8
      libsqlite3-0 libuuid1 libncursesw6 libtinfo6 libreadline8t64)
MIRROR=${PROFTUI_DEBIAN_MIRROR:-http://deb.debian.org/debian}
SOURCE="deb [arch=amd64 signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $MIRROR sid main"
CHECK='import threading, json, asyncio, zlib, hashlib, ssl, sqlite3, platform, sys
print(platform.python_version(), sys.prefix)'
LAUNCHER='extern int Py_BytesMain(int, char **); int main(int c, char **v) { return Py_BytesMain(c, v); }'

ROOT=$CACHE/root
LIB=$ROOT/usr/lib/x86_64-linux-gnu
LOADER=$LIB/ld-linux-x86-64.so.2
READY=$CACHE/ready
WHYNOT=$CACHE/why-not
# What the ready file must start with: this script's text and where it built
# (the patched paths are absolute), so a change to either fetches again.
RECIPE="recipe $(sha256sum "$0" | cut -c1-16) $CACHE $MIRROR"

say() { echo "fetch-debian: $*"; }

# fail REASON: record why, leave nothing that looks usable, carry on (exit 0).
fail() {
    rm -rf "$ROOT" "$CACHE/debs"
    mkdir -p "$CACHE" && echo "$*" > "$WHYNOT"
    say "$*; Debian's CPython ${MINORS[*]/#/3.} will be reported as skipped"
    exit 0
}

print_ready() {
    local state id rest
    while read -r state id rest; do
        case $state in
            ok) say "$id: $rest" ;;
            fail) say "$id: not usable: $rest" ;;
        esac
    done < "$READY"
}

apt_opts() {
    local a=$CACHE/apt
    # The system's apt.conf(.d) still applies (a proxy, say), less what it may
    # add to an update beyond the Packages index (translations, AppStream,
    # apt-file's Contents). APT::Sandbox::User=root: as root, apt would
    # otherwise download as _apt, which may not be able to write into the
    # build tree (it then falls back to root anyway, with a warning).
    local t=Acquire::IndexTargets::deb
    APT=(-o "Dir::Etc::sourcelist=$a/sources.list" -o Dir::Etc::sourceparts=-
         -o "Dir::State::Lists=$a/lists" -o "Dir::Cache=$a/cache"
         -o Dir::State::status=/dev/null -o Acquire::Languages=none
         -o "$t::DEP-11::DefaultEnabled=false" -o "$t::DEP-11-icons::DefaultEnabled=false"
         -o "$t::DEP-11-icons-small::DefaultEnabled=false"
         -o "$t::DEP-11-icons-hidpi::DefaultEnabled=false"
         -o "$t::Contents-deb::DefaultEnabled=false"
         -o Acquire::Retries=1 -o Acquire::http::Timeout=30
         -o APT::Sandbox::User=root -q)
    mkdir -p "$a/lists/partial" "$a/cache/archives/partial" || return 1
    echo "$SOURCE" > "$a/sources.list"
}

# download DIR PKG...: apt-get download into DIR; on failure prints apt's last error.
download() {
    local dir=$1; shift
    local log
    log=$(cd "$dir" && apt-get "${APT[@]}" download "$@" 2>&1) && return 0
    echo "apt-get download: $(grep -E '^(E|W):' <<< "$log" | tail -n 2 | tr '\n' ' ')"
    return 1
}

# build_minor X: unpack 3.X, patch and link both interpreters, check them;
# appends their lines to $CACHE/ready.new. Returns non-zero with a reason
# on stdout when 3.X is not usable.
build_minor() {
    local x=$1 deb
    local debs=$CACHE/debs/3.$x
    local pkgs=("python3.$x-minimal" "libpython3.$x-minimal" "libpython3.$x-stdlib" "libpython3.$x")
    mkdir -p "$debs" || return 1
    download "$debs" "${pkgs[@]}" || return 1
    for deb in "$debs"/*.deb; do
        dpkg -x "$deb" "$ROOT" || { echo "dpkg -x $(basename "$deb") failed"; return 1; }
    done
    local exe=$ROOT/usr/bin/python3.$x shared=$ROOT/usr/bin/python3.$x-shared
    patchelf --set-interpreter "$LOADER" --force-rpath --set-rpath "$LIB" "$exe" 2>&1 \
        || { echo "patchelf on python3.$x failed"; return 1; }
    echo "$LAUNCHER" | gcc -x c - -o "$shared" -L"$LIB" "-l:libpython3.$x.so.1.0" \
        -Wl,--allow-shlib-undefined -Wl,--disable-new-dtags -Wl,-rpath,"$LIB" \
        -Wl,--dynamic-linker="$LOADER" 2>&1 \
        || { echo "linking python3.$x-shared failed"; return 1; }
    # Debian byte-compiles the standard library when it installs it; dpkg -x
    # does not, and with PYTHONDONTWRITEBYTECODE set (as here) every start
    # would compile json, asyncio... from source. A file that doesn't compile
    # (a test's deliberate syntax error) only stays uncompiled.
    env -u PYTHONDONTWRITEBYTECODE "$exe" -m compileall -q -j 0 "$ROOT/usr/lib/python3.$x" \
        > /dev/null 2>&1 || true
}

# check ID EXE: the interpreter runs the stdlib check from its own prefix;
# appends "ok ID VERSION EXE" or "fail ID REASON" to ready.new.
check() {
    local id=$1 exe=$2 out version prefix
    if out=$(env -u PYTHONHOME -u PYTHONPATH -u PYTHONSTARTUP "$exe" -c "$CHECK" 2>&1) \
            && read -r version prefix <<< "$out" && [ "$prefix" = "$ROOT/usr" ]; then
        echo "ok $id $version $exe" >> "$CACHE/ready.new"
    else
        echo "fail $id $(basename "$exe") does not run: $(tail -n 1 <<< "$out")" \
            >> "$CACHE/ready.new"
    fi
}

main() {
    # a ready file with failures is used, but tried again the next time
    if [ "${1:-}" != "--refresh" ] && [ -f "$READY" ] && [ "$(head -n 1 "$READY")" = "$RECIPE" ] \
            && ! grep -q '^fail ' "$READY"; then
        print_ready
        return 0
    fi
    local t0=$SECONDS x why
    rm -f "$READY" "$CACHE/ready.new"
    rm -rf "$ROOT" "$CACHE/debs"
    mkdir -p "$ROOT" "$CACHE/debs/libs" || fail "cannot create $CACHE"
    for tool in apt-get dpkg patchelf gcc; do
        command -v "$tool" > /dev/null || fail "$tool is not installed (./dev installs it)"
    done
    [ -r /usr/share/keyrings/debian-archive-keyring.gpg ] \
        || fail "the Debian archive keyring is missing (package debian-archive-keyring)"
    apt_opts || fail "cannot create $CACHE/apt"
    say "apt-get update (Debian sid, private lists in $CACHE/apt)"
    why=$(apt-get "${APT[@]}" --error-on=any update 2>&1) \
        || fail "apt-get update of Debian sid failed: $(grep -E '^(E|W):' <<< "$why" | head -n 1)"
    why=$(download "$CACHE/debs/libs" "${LIBS[@]}") || fail "$why"
    for deb in "$CACHE"/debs/libs/*.deb; do
        dpkg -x "$deb" "$ROOT" || fail "dpkg -x $(basename "$deb") failed"
    done
    [ -x "$LOADER" ] || fail "libc6 from sid has no $LOADER"
    echo "$RECIPE" > "$CACHE/ready.new"
    for x in "${MINORS[@]}"; do
        if why=$(build_minor "$x"); then
            check "debian-3.$x-static" "$ROOT/usr/bin/python3.$x"
            check "debian-3.$x-shared" "$ROOT/usr/bin/python3.$x-shared"
        else
            why=${why:-failed}
            echo "fail debian-3.$x-static $why" >> "$CACHE/ready.new"
            echo "fail debian-3.$x-shared $why" >> "$CACHE/ready.new"
        fi
    done
    rm -f "$WHYNOT"
    mv "$CACHE/ready.new" "$READY" || fail "cannot write $READY"
    print_ready
    say "done in $((SECONDS - t0)) s; $(du -sh "$CACHE/debs" | cut -f1) of packages in $CACHE/debs"
}

main "$@"
