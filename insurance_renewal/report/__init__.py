from . import premium_reconciliation_xlsx
from . import renewal_ledger_xlsx
from . import kpi_tables_xlsx
