from . import premium_reconciliation_xlsx
