"""The demo workload proftui profiles when no command is given.

A small "service" with a few threads doing recognisable work: a request
handler parsing and rendering JSON, a background indexer hashing and
compressing, a regex log scanner, and an idle housekeeping thread. It runs
until it is interrupted.
"""
import hashlib
import json
import re
import threading
import time
import zlib

LOG_LINE = re.compile(r"(?P<ip>\d+\.\d+\.\d+\.\d+) - - \[(?P<ts>[^\]]+)\] \"(?P<req>[^\"]*)\" (?P<code>\d{3})")


def make_payload(n):
    return {"items": [{"id": i, "name": f"item-{i}", "tags": ["a", "b", str(i % 7)]} for i in range(n)]}


def parse_request(body):
    return json.loads(body)


def render_response(data):
    total = sum(item["id"] for item in data["items"])
    return json.dumps({"count": len(data["items"]), "total": total})


def handle_request(body):
    data = parse_request(body)
    return render_response(data)


def serve_forever():
    body = json.dumps(make_payload(300))
    while True:
        handle_request(body)


def hash_block(block):
    return hashlib.sha256(block).hexdigest()


def compress_block(block):
    return zlib.compress(block, 6)


def index_documents():
    block = bytes(range(256)) * 256
    while True:
        hash_block(block)
        compress_block(block)


def scan_logs():
    lines = [f'10.0.0.{i % 250} - - [21/Nov/2026:10:00:{i % 60:02d}] "GET /item/{i} HTTP/1.1" 200'
             for i in range(500)]
    while True:
        hits = 0
        for line in lines:
            if LOG_LINE.match(line):
                hits += 1


def housekeeping():
    while True:
        time.sleep(0.2)


def main():
    workers = [
        threading.Thread(target=index_documents, name="indexer", daemon=True),
        threading.Thread(target=scan_logs, name="log-scanner", daemon=True),
        threading.Thread(target=housekeeping, name="housekeeping", daemon=True),
    ]
    for w in workers:
        w.start()
    try:
        serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
