# SPDX-License-Identifier: MIT
"""Leaves a zombie: forks a child that exits at once and never reaps it.
Prints "zombie <child pid>", then waits until stdin closes (or 60 s).

usage: zombie_parent.py"""
import os
import select
import sys

child = os.fork()
if child == 0:
    os._exit(0)
print("zombie %d" % child, flush=True)
select.select([sys.stdin], [], [], 60)
