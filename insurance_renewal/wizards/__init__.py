from . import insurance_renewal_log_contact
from . import insurance_renewal_reassign
