from . import insurance_queued_import
from . import insurance_bank_file
from . import insurance_data_import
from . import insurance_reminder_engine
from . import insurance_renewal_ledger
