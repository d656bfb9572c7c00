# SPDX-License-Identifier: MIT
"""Child processes for test_procs.py. Every process that computes writes
"PID CPU_SECONDS" (its own time.process_time() spent in its work function)
to REPORT, one line each, appended.

usage: procs.py REPORT pool METHOD SECONDS...   multiprocessing.Pool(2).map(work, SECONDS)
                                                with start method METHOD
       procs.py REPORT subprocess SECONDS       a `sys.executable procs.py child` child
       procs.py REPORT shell SECONDS            the same child through `sh -c "...; true"`
       procs.py REPORT exec SECONDS             a forked child computes in before_exec(),
                                                then execs into `procs.py child` (same pid)
       procs.py REPORT child SECONDS            child_work() for SECONDS of CPU time
       procs.py REPORT serve SECONDS            attach target: Pool(2) workers run work()
                                                in a loop; prints "ready PID W1 W2"
       procs.py REPORT idle SECONDS             attach target: Pool(2) workers, each with
                                                3 threads that only sleep (idle_wait());
                                                prints "ready PID W1 W2" once all do
       procs.py REPORT many N SECONDS           N forked children sleep in many_child()
                                                for SECONDS; prints "ready"
"""
import multiprocessing
import os
import subprocess
import sys
import time


def spin(seconds):
    """Compute until this process used `seconds` more CPU time; returns it."""
    start = time.process_time()
    x = 0
    while time.process_time() - start < seconds:
        for _ in range(1000):
            x += 1
    return time.process_time() - start


def report(path, cpu):
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    os.write(fd, f"{os.getpid()} {cpu:.6f}\n".encode())
    os.close(fd)


def work(args):
    path, seconds = args
    report(path, spin(seconds))
    return os.getpid()


def child_work(path, seconds):
    report(path, spin(seconds))


def before_exec(path, seconds):
    spin(seconds)
    os.execv(sys.executable, [sys.executable, __file__, path, "child", str(seconds)])


def idle_wait(started):
    started.release()
    while True:
        time.sleep(1)


def idle_forever(started):
    import threading
    for _ in range(2):
        threading.Thread(target=idle_wait, args=(started,), daemon=True).start()
    idle_wait(started)


def many_child(seconds):
    time.sleep(seconds)


def serve_forever(path):
    while True:
        spin(0.2)


def main():
    path, mode = sys.argv[1], sys.argv[2]
    rest = sys.argv[3:]
    if mode == "pool":
        ctx = multiprocessing.get_context(rest[0])
        with ctx.Pool(2) as pool:
            pool.map(work, [(path, float(s)) for s in rest[1:]], chunksize=1)
    elif mode == "subprocess":
        subprocess.run([sys.executable, __file__, path, "child", rest[0]], check=True)
    elif mode == "shell":
        cmd = f"'{sys.executable}' '{__file__}' '{path}' child {rest[0]}; true"
        subprocess.run(["sh", "-c", cmd], check=True)
    elif mode == "exec":
        pid = os.fork()
        if pid == 0:
            try:
                before_exec(path, float(rest[0]))
            finally:
                os._exit(1)
        _, status = os.waitpid(pid, 0)
        sys.exit(0 if status == 0 else 1)
    elif mode == "child":
        child_work(path, float(rest[0]))
    elif mode == "serve":
        ctx = multiprocessing.get_context("fork")
        pool = ctx.Pool(2)
        pool.map_async(serve_forever, [path, path])
        deadline = time.monotonic() + 30
        kids = []
        while len(kids) < 2 and time.monotonic() < deadline:
            kids = [p.pid for p in multiprocessing.active_children()]
            time.sleep(0.01)
        print("ready", os.getpid(), *kids, flush=True)
        time.sleep(float(rest[0]))
        pool.terminate()
    elif mode == "idle":
        ctx = multiprocessing.get_context("fork")
        started = ctx.Semaphore(0)
        workers = [ctx.Process(target=idle_forever, args=(started,), daemon=True) for _ in range(2)]
        for w in workers:
            w.start()
        for _ in range(6):
            started.acquire()
        print("ready", os.getpid(), *[w.pid for w in workers], flush=True)
        time.sleep(float(rest[0]))
    elif mode == "many":
        kids = []
        for _ in range(int(rest[0])):
            pid = os.fork()
            if pid == 0:
                try:
                    many_child(float(rest[1]))
                finally:
                    os._exit(0)
            kids.append(pid)
        print("ready", flush=True)
        for pid in kids:
            os.waitpid(pid, 0)


if __name__ == "__main__":
    main()
