# SPDX-License-Identifier: MIT
"""How the sampling thread is scheduled (sampler.c): at the lowest
real-time priority where that is permitted, given up while its rounds
take more than a quarter of a core and taken again once they take less
than a fifth; otherwise a normal thread asking for a short time slice.
The -v log says which, and for how long."""

import os
import re
import shutil
import subprocess
import sys

import pytest

from harness import profile_workload, run, supported_interpreters
from hostile import public_copy, scratch_dir

BUSY, REST = 1.0, 3.0


def realtime_permitted() -> bool:
    """Whether a process of ours may take SCHED_FIFO (root, CAP_SYS_NICE or
    an RLIMIT_RTPRIO), asked of the kernel in a child."""
    probe = "import os; os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(1))"
    return subprocess.run([sys.executable, "-c", probe], stderr=subprocess.DEVNULL).returncode == 0


def scheduling(log) -> str:
    said = [line for line in log.read_text().splitlines() if "scheduling:" in line]
    assert len(said) == 1, log.read_text()
    return said[0]


def test_realtime_given_up_under_heavy_rounds_and_taken_again(proftui, tmp_path):
    """Eight threads 600 frames deep compute for 1 s, then sleep for 3 s:
    the rounds of the busy second may take more than a quarter of a core
    (then real-time priority is given up, and taken again once the
    threads sleep: for more than a quarter of the run, which it can't
    reach without being taken again, the busy second being a quarter of
    it); otherwise it is kept throughout. Where it is not permitted, the
    log says so."""
    interp = max(supported_interpreters(), key=lambda i: i.version_info)
    log = tmp_path / "log.txt"
    r = profile_workload(interp=interp, proftui=proftui, workload="phases.py",
                         args=[BUSY, REST, 600, 8], opts=["-v", log], tmpdir=tmp_path)
    assert r.result.returncode == 0 and r.profile is not None, r.describe()
    said = scheduling(log)
    if not realtime_permitted():
        assert "real-time priority not permitted" in said, said
        return
    m = re.search(r"real-time priority (\d+) % of the time, given up (\d+) times?", said)
    assert m, said
    share, drops = int(m[1]), int(m[2])
    facts = f"{said}\nrun {r.info}"
    if drops == 0:
        assert share >= 90, facts
    else:
        # given up within the busy second at the latest, so without a
        # second grant at most BUSY / total of the run at real-time
        assert share >= 100 * BUSY / r.info["total"] + 15, facts


def test_normal_thread_without_permission(proftui):
    """As the nobody user: no real-time priority, and the log says why."""
    setpriv = shutil.which("setpriv")
    if setpriv is None or os.geteuid() != 0:
        pytest.skip("needs setpriv (util-linux) and root to switch to the nobody user")
    with scratch_dir() as scratch:
        binary = public_copy(proftui, scratch)
        log = scratch / "log.txt"
        res = run([setpriv, "--reuid=nobody", "--regid=nogroup", "--clear-groups", binary,
                   "-v", log, "-o", scratch / "out.txt", "--", "/usr/bin/python3", "-c",
                   "import time; time.sleep(0.5)"], timeout=60)
        assert res.returncode == 0, res.describe()
        assert scheduling(log) == ("proftui: scheduling: real-time priority not permitted (needs root, "
                                   "CAP_SYS_NICE or an RLIMIT_RTPRIO): a normal thread asking for a "
                                   "short time slice"), log.read_text()
