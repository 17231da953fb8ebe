from . import insurance_bank_file_import
from . import insurance_reconciliation_report
from . import insurance_receipt_reconcile
