from . import test_premium_schedule
from . import test_premium_clock
from . import test_policy_constraints
from . import test_partner_renewal_status
from . import test_access_rights
from . import test_premium_invoice
from . import test_receipt_import
from . import test_debit_results
