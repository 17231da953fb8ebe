"""Read pytest's -q output and print "<passed> <failed>" (errors count as failed)."""

import re
import sys

COUNT = re.compile(r"(\d+) (passed|failed|errors?)")
NO_TESTS_COLLECTED = 5


def main():
    with open(sys.argv[1], encoding="utf-8", errors="replace") as output:
        last_lines = output.read().strip().splitlines()[-3:]
    status = int(sys.argv[2])
    counts = {"passed": 0, "failed": 0}
    for number, kind in COUNT.findall("\n".join(last_lines)):
        counts["passed" if kind == "passed" else "failed"] += int(number)
    if status not in (0, NO_TESTS_COLLECTED) and not counts["failed"]:
        counts["failed"] = 1
    print(counts["passed"], counts["failed"])


if __name__ == "__main__":
    main()
