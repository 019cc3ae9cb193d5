#!/usr/bin/env python3
"""Re-checks mla-tracker's event chains independently of the application.

Usage: scripts/audit-check.py DATABASE_URL
  DATABASE_URL: postgres://... (read through `psql`) or a SQLite file path,
  optionally prefixed sqlite:// (read with Python's sqlite3).

Implements README "Tamper-evident history" from the text alone, with the
standard library only (hashlib, json, sqlite3, subprocess): an auditor's
second opinion on `mla-tracker audit verify`. Streams the events ordered by
(request_id, seq), so memory stays flat apart from the heads.

Exit 0 when every chain checks out, 1 at the first broken link (printed as
`BROKEN request <id> event <id> seq <n>: <what>`), 2 on usage errors.
"""

import hashlib
import json
import sqlite3
import subprocess
import sys

SCHEME = b"mla-tracker/event-chain/v1\n"
GENESIS = "0" * 64
COLUMNS = [
    "id", "request_id", "seq", "kind", "actor_id", "recorded_at", "effective_date",
    "from_status", "to_status", "changes", "note", "prev_hash", "hash",
]
EVENTS_SQL = "SELECT {} FROM request_events ORDER BY request_id, seq".format(", ".join(COLUMNS))
HEADS_SQL = "SELECT request_id, seq, hash FROM request_event_heads"
REQUESTS_SQL = "SELECT id FROM requests"


def timestamp(text):
    """Stored timestamp text (either backend) -> YYYY-MM-DDTHH:MM:SS.ffffffZ."""
    text = text.replace("T", " ").rstrip("Z")
    date, _, time = text.partition(" ")
    whole, _, fraction = time.partition(".")
    return "{}T{}.{}Z".format(date, whole, (fraction + "000000")[:6])


def canonical(text):
    return json.dumps(json.loads(text), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def field(value):
    if value is None:
        return b"-\n"
    data = value.encode("utf-8")
    return str(len(data)).encode() + b":" + data + b"\n"


def event_hash(e, prev_hash):
    fields = [
        e["id"], e["request_id"], str(e["seq"]), e["kind"], e["actor_id"],
        timestamp(e["recorded_at"]), e["effective_date"][:10], e["from_status"],
        e["to_status"], canonical(e["changes"]), e["note"], prev_hash,
    ]
    return hashlib.sha256(SCHEME + b"".join(field(f) for f in fields)).hexdigest()


def sqlite_rows(path, sql):
    conn = sqlite3.connect("file:{}?mode=ro".format(path), uri=True)
    cur = conn.execute(sql)
    names = [d[0] for d in cur.description]
    for row in cur:
        yield dict(zip(names, [v if v is None or isinstance(v, int) else str(v) for v in row]))


def postgres_rows(url, sql):
    query = "SELECT row_to_json(t)::text FROM ({}) t".format(sql)
    proc = subprocess.Popen(
        ["psql", "--no-psqlrc", "--quiet", "--tuples-only", "--no-align",
         "--set", "ON_ERROR_STOP=1", "--dbname", url, "--command", query],
        stdout=subprocess.PIPE, text=True, encoding="utf-8",
    )
    for line in proc.stdout:
        if line.strip():
            yield json.loads(line)
    if proc.wait() != 0:
        sys.exit("audit-check: psql failed")


def check(rows, heads, request_ids):
    """Yields nothing if intact; returns at the first broken link."""
    current, expected, prev, last = None, 1, GENESIS, None

    def end_of_chain(request_id, last):
        head = heads.pop(request_id, None)
        if head is None:
            return "no chain head recorded"
        if head != (last["seq"], last["hash"]):
            return "chain head {} differs from the last event (seq {}, {})".format(
                head, last["seq"], last["hash"])
        return None

    for e in rows:
        if e["request_id"] != current:
            if last is not None:
                problem = end_of_chain(current, last)
                if problem:
                    return (current, last["id"], last["seq"], problem)
            current, expected, prev = e["request_id"], 1, GENESIS
            if current not in request_ids:
                return (current, e["id"], e["seq"], "event of a request that does not exist")
            request_ids.discard(current)
        if e["seq"] != expected:
            return (current, e["id"], e["seq"], "expected seq {}".format(expected))
        if e["prev_hash"] != prev:
            return (current, e["id"], e["seq"],
                    "prev_hash {} is not {}".format(e["prev_hash"], prev))
        recomputed = event_hash(e, prev)
        if recomputed != e["hash"]:
            return (current, e["id"], e["seq"],
                    "stored hash {}, recomputed {}".format(e["hash"], recomputed))
        prev, expected, last = e["hash"], expected + 1, e
    if last is not None:
        problem = end_of_chain(current, last)
        if problem:
            return (current, last["id"], last["seq"], problem)
    for request_id in sorted(request_ids):
        return (request_id, None, None, "the request has no events")
    return None


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    url = sys.argv[1]
    if url.startswith(("postgres://", "postgresql://")):
        rows = lambda sql: postgres_rows(url, sql)  # noqa: E731
    else:
        path = url[len("sqlite://"):] if url.startswith("sqlite://") else url
        rows = lambda sql: sqlite_rows(path, sql)  # noqa: E731
    heads = {h["request_id"]: (h["seq"], h["hash"]) for h in rows(HEADS_SQL)}
    request_ids = {r["id"] for r in rows(REQUESTS_SQL)}
    count = [0]

    def counted():
        for e in rows(EVENTS_SQL):
            count[0] += 1
            yield e

    broken = check(counted(), heads, request_ids)
    if broken:
        request_id, event_id, seq, what = broken
        print("BROKEN request {} event {} seq {}: {}".format(request_id, event_id, seq, what))
        return 1
    print("intact: {} events".format(count[0]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
