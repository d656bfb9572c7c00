# SPDX-License-Identifier: MIT
"""Runs functions whose names and file names are hostile to a line-based
output format: 10,000 characters long, Cyrillic, CJK, emoji, and
containing ';', spaces, tabs and newlines. Each is a real function (its
code object renamed with code.replace, its file name given to compile), and
each computes in turn for a few milliseconds, for SECONDS, in the main
thread and in a thread whose name is hostile too. Writes, as JSON to INFO,
{"pid", "thread": [native id, name], "funcs": {key: [name, file]}}.

usage: hostile_names.py INFO SECONDS"""
import json
import os
import sys
import threading
import time

CASES = {
    "long": ("L" * 10000, "/srv/" + "F" * 10000 + ".py"),
    "cyrillic": ("функция_имя", "/srv/модуль.py"),
    "cjk": ("函数名称", "/srv/模块/文件.py"),
    "emoji": ("burn_\U0001f525_\U0001f40d", "/srv/\U0001f4c1/app.py"),
    "semicolon": ("semi;colon;name", "/srv/a;b/c;d.py"),
    "spaces": ("name with spaces", "/srv/dir with spaces/my file.py"),
    "newline": ("new\nline\r\tname", "/srv/new\nline.py"),
    "mixed": ("a;b c\nd\xe9\U0001f600 (x.py:1)", "/srv/x;y\n z.py"),
}
THREAD_NAME = "thr;ead\nname \U0001f9f5 \u7ebf\u7a0b"


def busy(seconds):
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline: pass


def make(name, filename):
    namespace = {}
    exec(compile("def f(busy):\n    busy(0.002)\n", filename, "exec"), namespace)
    func = namespace["f"]
    code = func.__code__
    if sys.version_info >= (3, 11):
        code = code.replace(co_name=name, co_qualname=name)
    else:
        code = code.replace(co_name=name)
    func.__code__ = code
    return func


def rotate(funcs, deadline):
    while time.monotonic() < deadline:
        for f in funcs:
            f(busy)


def main():
    info, seconds = sys.argv[1], float(sys.argv[2])
    funcs = [make(name, filename) for name, filename in CASES.values()]
    deadline = time.monotonic() + seconds
    worker = threading.Thread(target=rotate, args=(funcs[::-1], deadline), name=THREAD_NAME)
    worker.start()
    with open(info, "w") as f:
        json.dump({"pid": os.getpid(), "thread": [worker.native_id, THREAD_NAME],
                   "funcs": CASES}, f)
    rotate(funcs, deadline)
    worker.join()


if __name__ == "__main__":
    main()
