#!/usr/bin/python3
"""The evaluation report committed beside each embedded pack: models/packs/<pack>/evaluation.json.

The evaluation scripts (eval_t2i.py, eval_sr.py, eval_samplers.py) call `write_report` with their
numbers; each writes its own section, keyed by evaluation, so one pack can carry several. A section
holds the command that produced the numbers, the date, the data split, the numbers themselves and
their `source` (a run, or an earlier result file the report was regenerated from). The file is
replaced atomically (a temporary file in the same folder, then os.replace), so a reader sees the
old report or the new one, never half of one. The README quotes these numbers; a unit test
(test/packs/evaluation-reports.test.ts) checks that it quotes them as written here.

It can also be run by itself, to record numbers an earlier run printed whose result file was not
kept (stated in `source`):

    /usr/bin/python3 models/train/eval_report.py --pack emoji-sr-64 --key sr \
        --numbers '{"model": {"psnr": 32.19}}' --command '…' --split '…' --source '…'
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import shlex
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
PACKS = os.path.join(REPO, "models", "packs")

#: The held-out split every script evaluates on (models/train/split.json).
HELD_OUT_SPLIT = ("held-out split of models/train/split.json: 96 base emoji with all their styles and "
                  "skin tones, 412 images, never seen in training")


def report_path(pack: str) -> str:
    """models/packs/<pack>/evaluation.json (`pack` is a pack name or a folder)."""
    folder = pack if os.path.isdir(pack) else os.path.join(PACKS, pack)
    return os.path.join(folder, "evaluation.json")


def this_command() -> str:
    """The command line that is running, as a user would type it from the repository root."""
    script = os.path.relpath(os.path.abspath(sys.argv[0]), REPO)
    return " ".join(["/usr/bin/python3", shlex.quote(script), *map(shlex.quote, sys.argv[1:])])


def write_report(pack: str, key: str, numbers: dict, *, split: str, source: str, command: str | None = None,
                 date: str | None = None) -> str:
    """Set section `key` of the pack's evaluation.json (other sections kept) and replace the file atomically."""
    path = report_path(pack)
    report = {"pack": os.path.basename(os.path.dirname(path)), "evaluations": {}}
    if os.path.exists(path):
        with open(path) as f:
            report = json.load(f)
    report.setdefault("evaluations", {})[key] = {
        "command": command or this_command(),
        "date": date or datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "split": split,
        "source": source,
        "numbers": numbers,
    }
    report["evaluations"] = dict(sorted(report["evaluations"].items()))
    fd, tmp = tempfile.mkstemp(prefix=".evaluation-", suffix=".json", dir=os.path.dirname(path))
    try:
        with os.fdopen(fd, "w") as f:
            json.dump(report, f, indent=1, ensure_ascii=False)
            f.write("\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise
    print(f"wrote {os.path.relpath(path, REPO)} [{key}]", flush=True)
    return path


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pack", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--numbers", required=True, help="JSON object")
    ap.add_argument("--command", required=True, help="the command that produced the numbers")
    ap.add_argument("--split", default=HELD_OUT_SPLIT)
    ap.add_argument("--source", required=True, help="where the numbers come from")
    ap.add_argument("--date", default=None, help="when they were produced (default: now)")
    args = ap.parse_args()
    write_report(args.pack, args.key, json.loads(args.numbers), split=args.split, source=args.source,
                 command=args.command, date=args.date)


if __name__ == "__main__":
    main()
