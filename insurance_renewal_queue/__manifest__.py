{
    "name": "Insurance Renewal Premiums: Reminders as Queued Jobs",
    "summary": "Send the renewal reminders as queue_job jobs, one per batch of "
    "payers, so that several Odoo hosts share the work",
    "version": "19.0.1.0.0",
    "category": "Sales/CRM",
    "website": "https://github.com/insurance-renewal/insurance_renewal",
    "author": "Insurance Renewal Developers",
    "license": "LGPL-3",
    "depends": ["insurance_renewal", "queue_job"],
    "auto_install": True,
    "installable": True,
}
