from . import insurance_reminder_engine
