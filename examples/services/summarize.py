#!/usr/bin/python3
"""The pipeline's next step in config/examples/services.yaml: reads what scraper.py wrote and
writes a summary next to it.
    summarize.py [--in FILE] [--out FILE]"""

import argparse
import json
import os
import sys


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--in", dest="source", default=os.environ.get("IN", "data.json"))
    p.add_argument("--out", default=os.environ.get("OUT", "summary.json"))
    args = p.parse_args()
    with open(args.source) as f:
        data = json.load(f)
    summary = {"count": len(data["items"]), "titles": [i["title"] for i in data["items"]]}
    tmp = args.out + ".tmp"
    with open(tmp, "w") as f:
        json.dump(summary, f)
    os.replace(tmp, args.out)
    print(json.dumps({"summarized": summary["count"]}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
