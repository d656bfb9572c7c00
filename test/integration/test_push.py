# SPDX-License-Identifier: MIT
"""--push URL against a local HTTP server in the test: every window is a
POST to URL/ingest with Pyroscope's query (name, from, until, format=pprof,
sampleRate, spyName) and a gzipped pprof body that decodes, and the windows
add up to the collapsed output of the same run; a failing server gets
retries and then the window; a dead or slow server costs windows (failed,
dropped: counted), never the run. The writer reads the profile's table,
so one interpreter (the system Python) is enough."""

import gzip
import http.server
import re
import signal
import socket
import threading
import time
import urllib.parse
from pathlib import Path
from typing import List

import pytest

from harness import Profile, run, selected_interpreters
from test_format_pprof import WORKLOAD, decode_profile, pb_fields

OK_EXITS = (0, 128 + signal.SIGINT, 128 + signal.SIGTERM)
STATS_RE = re.compile(r"pushed (\d+) profiles to \S+ \((\d+) failed, (\d+) dropped, (\d+) retries; "
                      r"(?:last HTTP status (\d+)|no HTTP response: the server could not be reached)\)")


class Ingest:
    """A local HTTP server recording each POST (path, query, headers,
    body); it answers statuses[i] to the i-th request (200 after the
    list), after `delay` seconds."""

    def __init__(self, statuses=(), delay=0.0):
        self.requests: List[dict] = []
        self.statuses, self.delay = list(statuses), delay
        ingest = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                url = urllib.parse.urlsplit(self.path)
                n = len(ingest.requests)
                ingest.requests.append({"path": url.path, "query": urllib.parse.parse_qs(url.query),
                                        "type": self.headers.get("Content-Type"), "body": body})
                time.sleep(ingest.delay)
                status = ingest.statuses[n] if n < len(ingest.statuses) else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.send_header("Connection", "close")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def py():
    interp = next((i for i in selected_interpreters() if i.kind == "system"), None)
    if interp is None:
        pytest.skip("the system Python is not selected")
    return interp


def push_run(proftui, py, tmp_path: Path, url: str, interval: str, seconds: float,
             exits=OK_EXITS):
    script = tmp_path / "workload.py"
    script.write_text(WORKLOAD)
    res = run([proftui, "--push", url, "--push-interval", interval, "-d", str(seconds), "-o",
               tmp_path / "x.txt", "--", py.path, script, "60"], timeout=90)
    assert res.returncode in exits, res.describe()
    m = STATS_RE.search(res.stderr)
    assert m, res.stderr
    # no HTTP response at all reads as status 0
    return Profile.load(tmp_path / "x.txt"), [int(x) if x else 0 for x in m.groups()]


def samples_of(body: bytes) -> int:
    """The sum of the sample counts (each sample's first value) of a
    .pb.gz body."""
    total = 0
    for field, _, value in pb_fields(gzip.decompress(body)):
        if field == 2:
            for f, _, v in pb_fields(value):
                if f == 2:                           # packed values: the count first
                    total += next(pb_fields(b"\x08" + v))[2]
    return total


def test_push_windows_add_up(proftui, py, tmp_path):
    with Ingest() as srv:
        p, (sent, failed, dropped, retries, last) = push_run(
            proftui, py, tmp_path, f"http://127.0.0.1:{srv.port}/pyro/", "1s", 3.5)
    reqs = srv.requests
    assert sent == len(reqs) >= 3 and failed == dropped == retries == 0 and last == 200, reqs
    pid = p.meta["pid"].split()[0]
    prev_until = 0
    for r in reqs:
        q = r["query"]
        assert r["path"] == "/pyro/ingest" and r["type"] == "application/octet-stream", r["path"]
        assert q["name"] == [f"workload{{pid={pid},mode=wall}}"], q
        assert q["format"] == ["pprof"] and q["sampleRate"] == ["1000"], q
        assert q["spyName"] == ["proftui"], q
        frm, until = int(q["from"][0]), int(q["until"][0])
        assert frm < until and frm >= prev_until - 1, (frm, until, prev_until)
        assert abs(until - time.time()) < 600, until
        prev_until = until
        strings, funcs, labels = decode_profile(gzip.decompress(r["body"]))
        assert strings[0] == "" and {"alpha", "beta"} <= set(strings), strings[:40]
    total = sum(s.count for s in p.stacks)
    assert sum(samples_of(r["body"]) for r in reqs) == total, "the windows add up to the profile"


def test_push_retries_then_delivers(proftui, py, tmp_path):
    with Ingest(statuses=[503, 503]) as srv:
        p, (sent, failed, dropped, retries, last) = push_run(
            proftui, py, tmp_path, f"http://127.0.0.1:{srv.port}", "1s", 2.5)
    reqs = srv.requests
    assert retries == 2 and failed == 0 and dropped == 0 and last == 200, (sent, failed, retries)
    assert reqs[0]["body"] == reqs[1]["body"] == reqs[2]["body"], "a retry sends the same window"
    assert sent == len(reqs) - 2
    total = sum(s.count for s in p.stacks)
    assert sum(samples_of(r["body"]) for r in reqs[2:]) == total


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_push_server_down(proftui, py, tmp_path):
    """Nobody listening: every window fails after its tries, the profile
    is still written whole, and the exit status says the push delivered
    nothing (8, as for an output that cannot be written)."""
    p, (sent, failed, dropped, retries, last) = push_run(
        proftui, py, tmp_path, f"http://127.0.0.1:{free_port()}/", "0.5s", 2.0, exits=(8,))
    assert sent == 0 and failed + dropped >= 1 and last == 0, (sent, failed, dropped, retries)
    assert sum(s.count for s in p.stacks) > 0 and p.meta["recorded"], p.summary()


def test_push_slow_server_drops_windows(proftui, py, tmp_path):
    """A server that takes 3 s per request, windows every 0.3 s: the queue
    (4 windows) overflows and the oldest are dropped, counted; sampling
    goes on (the profile covers the whole run)."""
    with Ingest(delay=3.0) as srv:
        p, (sent, failed, dropped, retries, last) = push_run(
            proftui, py, tmp_path, f"http://127.0.0.1:{srv.port}/", "0.3s", 3.0)
        assert dropped >= 1 and sent >= 1, (sent, failed, dropped, retries)
    assert sent <= len(srv.requests)
    assert float(p.meta["duration"].rstrip("s")) >= 2.9, p.meta


@pytest.mark.parametrize("url, why", [
    ("https://example.com", "https is not built"),
    ("ftp://example.com", "must start with http://"),
    ("http://:80/", "bad host"),
    ("http://host:99999999/", "bad port"),
    ("http://host:99999/", "bad port"),          # was accepted: getaddrinfo wraps it (QA)
    ("http://host:65536/", "bad port"),
    ("http://host:0/", "bad port"),
    ("http://[::1]junk:80/", "bad host"),
    ("http://host/?a=1", "must not have a query"),
])
def test_push_bad_url(proftui, tmp_path, url, why):
    res = run([proftui, "--push", url, "--", "/bin/true"])
    assert res.returncode == 2 and why in res.stderr and res.stderr.count("\n") == 1, res.describe()


def test_push_interval_needs_push(proftui):
    res = run([proftui, "--push-interval", "5", "--", "/bin/true"])
    assert res.returncode == 2 and "--push-interval goes with --push" in res.stderr, res.describe()
