#!/usr/bin/env python3
"""Writes golden-sample.jsonl: A-9 golden scenarios 1-3 and 5 as v1 event lines.

A large employer (25 employees every week of 2024 and 2025); Ann is hired 2025-03-03 with a
120-day waiting period and works 40 h a week for 10 weeks (scenario 1), asks for 8 h on
2025-05-01 (scenario 2) and on 2025-07-01 (scenario 3); Cat works 9 h a day for 300 days
from 2025-03-01 and her benefit year closes on 2025-12-31 (scenario 5).
Run: python3 make_golden_sample.py > golden-sample.jsonl
"""
import datetime
import json

events = []


def add(kind, date, **fields):
    event = {"v": 1, "id": f"g-{len(events) + 1:04d}", "type": kind, "employer": "ER-GOLD"}
    if "employee" in fields:
        event["employee"] = fields.pop("employee")
    event["date"] = date.isoformat()
    event.update(fields)
    events.append((date, len(events), event))


day = datetime.date
monday = day(2024, 1, 1)
while monday <= day(2025, 12, 29):
    add("headcount", monday, headcount=25, first_employee="2001-01-01")
    monday += datetime.timedelta(days=7)

policy = dict(method="accrual", use_cap=False, accrual_cap=False, unlimited_carryover=False,
              prorate=False, year_start="01-01")
add("hire", day(2025, 3, 3), employee="ann", waiting_days=120, **policy)
for offset in range(70):
    date = day(2025, 3, 3) + datetime.timedelta(days=offset)
    if date.weekday() < 5:
        add("hours_worked", date, employee="ann", minutes=480)
add("use_request", day(2025, 5, 1), employee="ann", minutes=480)
add("use_request", day(2025, 7, 1), employee="ann", minutes=480)

add("hire", day(2025, 3, 1), employee="cat", waiting_days=0, **policy)
for offset in range(300):
    add("hours_worked", day(2025, 3, 1) + datetime.timedelta(days=offset), employee="cat",
        minutes=540)
add("year_end", day(2025, 12, 31), employee="cat")

# Process in business-date order, as a feed would deliver them.
for _, _, event in sorted(events, key=lambda item: (item[0], item[1])):
    print(json.dumps(event, separators=(",", ":")))
