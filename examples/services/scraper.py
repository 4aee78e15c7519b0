#!/usr/bin/python3
"""A small "scraper" for config/examples/services.yaml: prints a progress line per page (JSON, so
the log topic keeps it as JSON), a plain text line on stderr at the end, and writes what it found
to data.json in its working directory. Exits 0, or 1 with --fail.
    scraper.py [--pages N] [--delay SECONDS] [--out FILE] [--fail]"""

import argparse
import json
import os
import sys
import time


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--pages", type=int, default=int(os.environ.get("PAGES", "5")))
    p.add_argument("--delay", type=float, default=float(os.environ.get("DELAY", "0.5")))
    p.add_argument("--out", default=os.environ.get("OUT", "data.json"))
    p.add_argument("--fail", action="store_true")
    args = p.parse_args()
    items = []
    for page in range(1, args.pages + 1):
        time.sleep(args.delay)
        items.append({"page": page, "title": f"item {page}"})
        print(json.dumps({"page": page, "of": args.pages, "found": len(items)}), flush=True)
    if args.fail:
        print("scraper: the site refused us", file=sys.stderr, flush=True)
        return 1
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    tmp = args.out + ".tmp"
    with open(tmp, "w") as f:
        json.dump({"items": items, "scraped_at": time.time()}, f)
    os.replace(tmp, args.out)
    print(f"scraper: wrote {len(items)} items to {args.out}", file=sys.stderr, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
