#!/usr/bin/env python3
"""Re-checks mla-tracker's event chains independently of the application.

Usage: scripts/audit-check.py DATABASE_URL
  DATABASE_URL: postgres://... (read through `psql`) or a SQLite file path,
  optionally prefixed sqlite:// (read with Python's sqlite3).

Implements docs/DOMAIN.md §6 ("History") from the text alone, with the
standard library only (hashlib, json, sqlite3, subprocess): an auditor's
second opinion on `mla-tracker audit verify`. Checks both kinds of chain:
each request's history (request_events, scheme tag
`mla-tracker/event-chain/v1`) and each case's (case_events, scheme tag
`mla-tracker/case-event-chain/v1`, whose events have no statuses: both are
hashed as NULL). Streams the events ordered by (record id, seq), so memory
stays flat apart from the heads.

Exit 0 when every chain checks out, 1 at the first broken link (printed as
`BROKEN request|case <id> event <id> seq <n>: <what>`), 2 on usage errors.
"""

import hashlib
import json
import sqlite3
import subprocess
import sys

GENESIS = "0" * 64
# (label, scheme tag, events table, record column, heads table, records table,
#  whether the events carry statuses)
CHAINS = [
    ("request", b"mla-tracker/event-chain/v1\n", "request_events", "request_id",
     "request_event_heads", "requests", True),
    ("case", b"mla-tracker/case-event-chain/v1\n", "case_events", "case_id",
     "case_event_heads", "cases", False),
]


def events_sql(table, subject, statuses):
    columns = ["id", "{} AS subject_id".format(subject), "seq", "kind", "actor_id",
               "recorded_at", "effective_date"]
    columns += ["from_status", "to_status"] if statuses else [
        "CAST(NULL AS TEXT) AS from_status", "CAST(NULL AS TEXT) AS to_status"]
    columns += ["changes", "note", "prev_hash", "hash"]
    return "SELECT {} FROM {} ORDER BY {}, seq".format(", ".join(columns), table, subject)


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


def event_hash(scheme, e, prev_hash):
    fields = [
        e["id"], e["subject_id"], str(e["seq"]), e["kind"], e["actor_id"],
        timestamp(e["recorded_at"]), e["effective_date"][:10], e["from_status"],
        e["to_status"], canonical(e["changes"]), e["note"], prev_hash,
    ]
    return hashlib.sha256(scheme + b"".join(field(f) for f in fields)).hexdigest()


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


def check(scheme, label, rows, heads, record_ids):
    """Returns None if every chain of the kind is intact, else the first
    broken link: (record id, event id, seq, what)."""
    current, expected, prev, last = None, 1, GENESIS, None

    def end_of_chain(record_id, last):
        head = heads.pop(record_id, None)
        if head is None:
            return "no chain head recorded"
        if head != (last["seq"], last["hash"]):
            return "chain head {} differs from the last event (seq {}, {})".format(
                head, last["seq"], last["hash"])
        return None

    for e in rows:
        if e["subject_id"] != current:
            if last is not None:
                problem = end_of_chain(current, last)
                if problem:
                    return (current, last["id"], last["seq"], problem)
            current, expected, prev = e["subject_id"], 1, GENESIS
            if current not in record_ids:
                return (current, e["id"], e["seq"], "event of a {} that does not exist".format(label))
            record_ids.discard(current)
        if e["seq"] != expected:
            return (current, e["id"], e["seq"], "expected seq {}".format(expected))
        if e["prev_hash"] != prev:
            return (current, e["id"], e["seq"],
                    "prev_hash {} is not {}".format(e["prev_hash"], prev))
        recomputed = event_hash(scheme, e, prev)
        if recomputed != e["hash"]:
            return (current, e["id"], e["seq"],
                    "stored hash {}, recomputed {}".format(e["hash"], recomputed))
        prev, expected, last = e["hash"], expected + 1, e
    if last is not None:
        problem = end_of_chain(current, last)
        if problem:
            return (current, last["id"], last["seq"], problem)
    for record_id in sorted(record_ids):
        return (record_id, None, None, "the {} has no events".format(label))
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
    count = [0]
    for label, scheme, table, subject, heads_table, records, statuses in CHAINS:
        heads = {h["subject_id"]: (h["seq"], h["hash"]) for h in rows(
            "SELECT {} AS subject_id, seq, hash FROM {}".format(subject, heads_table))}
        record_ids = {r["id"] for r in rows("SELECT id FROM {}".format(records))}

        def counted():
            for e in rows(events_sql(table, subject, statuses)):
                count[0] += 1
                yield e

        broken = check(scheme, label, counted(), heads, record_ids)
        if broken:
            record_id, event_id, seq, what = broken
            print("BROKEN {} {} event {} seq {}: {}".format(label, record_id, event_id, seq, what))
            return 1
    print("intact: {} events".format(count[0]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
