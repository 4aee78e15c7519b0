#!/usr/bin/env python3
"""An example process upstream: reads the request payload (one JSON line) from stdin and prints
progress lines as it "scrapes", then a summary. Run by Sluice's `process` upstream kind (see
config/examples/process.yaml); try it alone with:
    echo '{"text": "hello world"}' | /usr/bin/python3 -u examples/scraper.py

Environment: SCRAPER_PAGES (default 3), SCRAPER_DELAY seconds between pages (default 1),
SCRAPER_FAIL=1 to exit with status 2 after the pages, SCRAPER_JSON=1 to print JSON lines."""

import json
import os
import sys
import time

payload = json.loads(sys.stdin.readline() or "null")
text = payload.get("text", "") if isinstance(payload, dict) else str(payload or "")
pages = int(os.environ.get("SCRAPER_PAGES", "3"))
delay = float(os.environ.get("SCRAPER_DELAY", "1"))
as_json = os.environ.get("SCRAPER_JSON") == "1"

for page in range(1, pages + 1):
    if as_json:
        print(json.dumps({"type": "progress", "page": page, "pages": pages}))
    else:
        print(f"scraped page {page}/{pages}")
    sys.stdout.flush()
    if delay:
        time.sleep(delay)

if os.environ.get("SCRAPER_FAIL") == "1":
    print("scraper: the site refused the last page", file=sys.stderr)
    sys.exit(2)

if as_json:
    print(json.dumps({"type": "final", "result": text.upper(), "pages": pages}))
else:
    print(f"done: {text.upper()}")
