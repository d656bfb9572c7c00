#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Takes one fuzz seed per CPython on this machine: starts seed_target.py
under it, waits until it is parked, snapshots it with fuzz_snapshot into
seeds/image/<label>.img and expect/<label>.expect, and ends it.

usage: make_seeds.py BUILD_DIR [PYTHON...]   (BUILD_DIR e.g. build; needs fuzz_snapshot)
Interpreters: the PYTHONs given ("3.X.Y", plus "-SUFFIX" for an executable
named python3.X-SUFFIX, e.g. 3.15.2-shared), else /usr/bin/python3
("system-3.X.Y") and every pyenv version 3.8 or newer under $PYENV_ROOT or
~/.pyenv ("3.X.Y")."""
import glob
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def interpreters(given):
    found = [("given", exe) for exe in given]
    if not given and os.access("/usr/bin/python3", os.X_OK):
        found.append(("system", "/usr/bin/python3"))
    root = os.environ.get("PYENV_ROOT") or os.path.expanduser("~/.pyenv")
    for exe in [] if given else sorted(glob.glob(os.path.join(root, "versions", "*", "bin", "python3"))):
        found.append(("pyenv", exe))
    for kind, exe in found:
        out = subprocess.run([exe, "-c", "import sys; print('%d.%d.%d' % sys.version_info[:3])"],
                             capture_output=True, text=True, timeout=60)
        if out.returncode != 0:
            continue
        version = out.stdout.strip()
        if tuple(map(int, version.split("."))) < (3, 8):
            continue
        suffix = os.path.basename(exe).partition("-")[2] if kind == "given" else ""
        if kind == "system":
            yield f"system-{version}", exe
        else:
            yield version + (f"-{suffix}" if suffix else ""), exe


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    snapshot = os.path.join(sys.argv[1], "test", "fuzz", "fuzz_snapshot")
    os.makedirs(os.path.join(HERE, "seeds", "image"), exist_ok=True)
    os.makedirs(os.path.join(HERE, "expect"), exist_ok=True)
    failed = 0
    for label, exe in interpreters(sys.argv[2:]):
        proc = subprocess.Popen([exe, "-I", os.path.join(HERE, "seed_target.py")],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        try:
            if proc.stdout.readline().strip() != "ready":
                print(f"{label}: the target did not get ready", file=sys.stderr)
                failed = 1
                continue
            rc = subprocess.run([snapshot, str(proc.pid),
                                 os.path.join(HERE, "seeds", "image", label + ".img"),
                                 os.path.join(HERE, "expect", label + ".expect")],
                                timeout=120).returncode
            failed |= rc != 0
        finally:
            proc.kill()
            proc.wait()
    sys.exit(failed)


if __name__ == "__main__":
    main()
