"""Read an Odoo test log and print "<passed> <failed>".

Odoo can log failing tests, or fail to install the module, and still exit 0, so the
verdict comes from the log: the runner's summary line, per-test FAIL/ERROR lines, and
any ERROR or CRITICAL record. A missing summary means the tests never ran: a failure.
"""

import re
import sys

SUMMARY = re.compile(r"(\d+) failed, (\d+) error\(s\) of (\d+) tests when loading")
LOG_RECORD = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ \d+ (ERROR|CRITICAL) ")
TEST_FAILURE = re.compile(r"^\d{4}-\S+ \S+ \d+ ERROR \S+ \S+: (FAIL|ERROR): ")


def summarize(lines, exit_status):
    summaries = [SUMMARY.search(line) for line in lines]
    summaries = [match for match in summaries if match]
    failed_tests = sum(1 for line in lines if TEST_FAILURE.match(line))
    other_errors = sum(
        1 for line in lines if LOG_RECORD.match(line) and not TEST_FAILURE.match(line)
    )
    if not summaries:
        return 0, max(1, failed_tests)
    failed = sum(int(m[1]) + int(m[2]) for m in summaries)
    total = sum(int(m[3]) for m in summaries)
    failed = max(failed, failed_tests)
    # Errors logged outside any test (install, a broken view, a crashed cron) also fail.
    unexplained = other_errors - (failed if failed else 0)
    if unexplained > 0 or exit_status != 0:
        failed += max(unexplained, 1)
    return max(total - failed, 0), failed


def main():
    with open(sys.argv[1], encoding="utf-8", errors="replace") as log:
        lines = log.read().splitlines()
    passed, failed = summarize(lines, int(sys.argv[2]))
    print(passed, failed)


if __name__ == "__main__":
    main()
