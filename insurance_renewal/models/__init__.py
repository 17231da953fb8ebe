from . import insurance_product
from . import insurance_policy
from . import insurance_premium_line
from . import res_partner
from . import res_config_settings
