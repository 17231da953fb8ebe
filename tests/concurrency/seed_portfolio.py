# Run by `odoo shell` (the script is its stdin): a small, realistic portfolio on a
# fresh database with insurance_renewal, so that the nightly work has plenty to do
# today: instalments to move through due, grace and lapse, cases to open, invoices
# to issue and reminders (email, SMS, calls, demands) to send to contactable payers.
import random
from datetime import date, timedelta

from odoo import Command

rng = random.Random(20251125)
today = date.today()
company = env.company  # noqa: F821 - given by odoo shell
company.partner_id.tz = "Asia/Shanghai"
# SMS and calls go out whatever the hour the test runs at.
company.write({"renewal_contact_hour_start": 0.0, "renewal_contact_hour_end": 24.0})
if not env["account.account"].search_count([], limit=1):  # noqa: F821
    env["account.chart.template"].try_loading(  # noqa: F821
        "generic_coa", company, install_demo=False
    )
premium = env["product.product"].create(  # noqa: F821
    {"name": "续期保费", "type": "service", "taxes_id": [Command.clear()]}
)
journal = env["account.journal"].search(  # noqa: F821
    [("type", "=", "sale"), ("company_id", "=", company.id)], limit=1
)
products = env["insurance.product"].create(  # noqa: F821
    [
        {
            "name": f"鑫福终身寿险 {n}",
            "code": f"CONC{n}",
            "premium_product_id": premium.id,
            "invoice_journal_id": journal.id,
            "invoice_lead_days": 30,
        }
        for n in range(3)
    ]
)
surnames, given = "王李张刘陈杨赵黄周吴", "伟芳娜敏静丽强磊军洋勇艳杰涛明超秀霞平刚"
payers = env["res.partner"].create(  # noqa: F821
    [
        {
            "name": rng.choice(surnames) + rng.choice(given) + rng.choice(given),
            "email": f"payer{n}@example.com" if n % 10 else False,
            "phone": f"+86139{n:08d}",
        }
        for n in range(180)
    ]
)
for partner in payers[::25]:
    env["mail.blacklist"]._add(partner.email or "nobody@example.com")  # noqa: F821
frequencies = ["monthly", "monthly", "quarterly", "annual", "semiannual"]
methods = ["bank_debit", "counter", "online"]
vals_list = []
for n in range(240):
    frequency = rng.choice(frequencies)
    issue = today - timedelta(days=rng.randint(40, 1500))
    vals_list.append(
        {
            "name": f"CONC{n:05d}",
            "partner_id": rng.choice(payers).id,
            "product_id": rng.choice(products).id,
            "issue_date": issue,
            "payment_frequency": frequency,
            "payment_method": rng.choice(methods),
            "premium_amount": rng.choice([800, 1500, 3000, 6000, 12000]),
            "premium_years": rng.choice([10, 15, 20]),
            # Paid to between four months ago and two months ahead: due, in
            # grace, suspended and coming due alike.
            "paid_to_date": max(issue, today + timedelta(days=rng.randint(-120, 60))),
        }
    )
policies = env["insurance.policy"].create(vals_list)  # noqa: F821
policies.action_activate()
env.cr.commit()  # noqa: F821
print(f"SEEDED {len(policies)} policies, {len(policies.premium_line_ids)} instalments")
