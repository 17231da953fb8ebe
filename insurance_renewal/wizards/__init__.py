from . import insurance_renewal_log_contact
from . import insurance_renewal_reassign
from . import insurance_bank_file_import
from . import insurance_reconciliation_report
from . import insurance_receipt_reconcile
from . import crm_lead_lost
from . import insurance_renewal_case_assign
