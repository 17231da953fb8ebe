from . import insurance_product
from . import insurance_policy
from . import insurance_premium_line
from . import insurance_renewal_activity
from . import res_partner
from . import res_config_settings
