#!/usr/bin/env python3
"""Reads an exported file with an independent reader and prints what it
found as JSON, for tests/api/export.rs.

    read_sheet.py xlsx FILE   # openpyxl
    read_sheet.py csv FILE    # the csv module, as UTF-8 with its byte-order mark

XLSX: {"sheet", "freeze_panes", "auto_filter", "widths": {letter: width},
"rows": [[{"type": openpyxl's data_type, "value", "date"?, "format"}]]},
a date cell's value as "YYYY-MM-DD" under "date" (only when openpyxl gives a
datetime). CSV: {"rows": [[text]]}.
"""
import csv
import datetime
import json
import sys


def read_xlsx(path):
    import openpyxl

    book = openpyxl.load_workbook(path)
    sheet = book.worksheets[0]
    rows = []
    for row in sheet.iter_rows():
        cells = []
        for cell in row:
            out = {"type": cell.data_type, "format": cell.number_format}
            value = cell.value
            if isinstance(value, datetime.datetime):
                out["date"] = value.date().isoformat()
                out["value"] = None
            else:
                out["value"] = value
            cells.append(out)
        rows.append(cells)
    return {
        "sheets": len(book.worksheets),
        "sheet": sheet.title,
        "freeze_panes": sheet.freeze_panes,
        "auto_filter": sheet.auto_filter.ref,
        "widths": {
            letter: dim.width
            for letter, dim in sheet.column_dimensions.items()
            if dim.customWidth
        },
        "rows": rows,
    }


def read_csv(path):
    with open(path, encoding="utf-8-sig", newline="") as f:
        return {"rows": list(csv.reader(f))}


def main():
    kind, path = sys.argv[1], sys.argv[2]
    found = read_xlsx(path) if kind == "xlsx" else read_csv(path)
    json.dump(found, sys.stdout, ensure_ascii=False)


if __name__ == "__main__":
    main()
