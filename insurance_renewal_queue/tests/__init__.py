from . import test_reminder_jobs
