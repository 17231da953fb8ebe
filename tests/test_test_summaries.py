"""The test command must not report green when Odoo logged a failure and exited 0."""

import importlib.util
from pathlib import Path

SCRIPTS = Path(__file__).resolve().parent.parent / "scripts"


def load(name):
    spec = importlib.util.spec_from_file_location(name, SCRIPTS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


odoo_summary = load("odoo_test_summary")

PREFIX = "2026-11-25 02:54:22,919 9728"
SUMMARY = f"{PREFIX} INFO db odoo.tests.result: {{}} failed, {{}} error(s) of {{}} tests when loading database 'db'"  # noqa: E501
FAIL = (
    f"{PREFIX} ERROR db odoo.addons.insurance_renewal.tests.test_x: FAIL: TestX.test_y"
)


def test_all_green():
    assert odoo_summary.summarize([SUMMARY.format(0, 0, 33)], 0) == (33, 0)


def test_failed_tests_are_counted():
    lines = [FAIL, SUMMARY.format(1, 0, 33)]
    assert odoo_summary.summarize(lines, 0) == (32, 1)


def test_no_summary_means_the_tests_never_ran():
    lines = [f"{PREFIX} CRITICAL db odoo.service.server: Failed to initialize database"]
    assert odoo_summary.summarize(lines, 0) == (0, 1)


def test_error_outside_tests_fails_the_run_even_with_exit_zero():
    error = f"{PREFIX} ERROR db odoo.modules.loading: Some view is broken"
    assert odoo_summary.summarize([error, SUMMARY.format(0, 0, 33)], 0) == (32, 1)


def test_nonzero_exit_fails_the_run():
    assert odoo_summary.summarize([SUMMARY.format(0, 0, 33)], 1) == (32, 1)
