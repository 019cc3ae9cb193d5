"""Reads a calendar feed with an independent library, for tests/api/calendar.rs.

Usage: python3 tests/calendar_read.py FILE

Parses FILE (RFC 5545) with Python's `icalendar` package and prints, as JSON,
the calendar's own properties and each event as a calendar program sees it:
UID, SUMMARY, DESCRIPTION, URL, CLASS, SEQUENCE, DTSTAMP, DTSTART and DTEND
(a date as YYYY-MM-DD, a date-time in ISO 8601 with its offset, and which of
the two it is) and its alarms (ACTION and TRIGGER in seconds from the start).
Exits non-zero, saying why, when the file does not parse or an event lacks a
property RFC 5545 requires of it (UID, DTSTAMP, DTSTART).
"""

import datetime
import json
import sys

try:
    from icalendar import Calendar
except ImportError:
    sys.exit(
        "python3 cannot import icalendar: scripts/test installs it "
        "(python3 -m pip install icalendar)"
    )


def when(value):
    if isinstance(value, datetime.datetime):
        return {"kind": "date-time", "value": value.isoformat()}
    return {"kind": "date", "value": value.isoformat()}


def main():
    with open(sys.argv[1], "rb") as f:
        calendar = Calendar.from_ical(f.read())
    if calendar.name != "VCALENDAR":
        sys.exit(f"not a VCALENDAR but {calendar.name}")
    events = []
    for event in calendar.walk("VEVENT"):
        for required in ("UID", "DTSTAMP", "DTSTART"):
            if required not in event:
                sys.exit(f"an event has no {required}: {event.to_ical()!r}")
        alarms = [
            {
                "action": str(alarm.get("ACTION")),
                "trigger_seconds": alarm.decoded("TRIGGER").total_seconds(),
                "description": str(alarm.get("DESCRIPTION", "")),
            }
            for alarm in event.walk("VALARM")
        ]
        events.append(
            {
                "uid": str(event["UID"]),
                "summary": str(event.get("SUMMARY", "")),
                "description": str(event.get("DESCRIPTION", "")),
                "url": str(event.get("URL", "")),
                "class": str(event.get("CLASS", "")),
                "sequence": int(event.get("SEQUENCE", 0)),
                "dtstamp": event.decoded("DTSTAMP").isoformat(),
                "start": when(event.decoded("DTSTART")),
                "end": when(event.decoded("DTEND")) if "DTEND" in event else None,
                "alarms": alarms,
            }
        )
    print(
        json.dumps(
            {
                "version": str(calendar.get("VERSION", "")),
                "prodid": str(calendar.get("PRODID", "")),
                "name": str(calendar.get("X-WR-CALNAME", "")),
                "events": events,
            }
        )
    )


if __name__ == "__main__":
    main()
