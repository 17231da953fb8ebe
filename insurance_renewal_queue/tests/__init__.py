from . import test_queue_jobs
from . import test_reminder_jobs
