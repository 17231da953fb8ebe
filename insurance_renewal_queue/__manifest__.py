{
    "name": "Insurance Renewal Premiums: Queue Jobs",
    "summary": "Run the renewal addon's long work (reminders, imports, the ledger "
    "export) as OCA queue_job jobs, shared by several workers and hosts",
    "version": "19.0.1.0.0",
    "category": "Sales/CRM",
    "website": "https://github.com/insurance-renewal/insurance_renewal",
    "author": "Insurance Renewal Developers",
    "license": "LGPL-3",
    "depends": ["insurance_renewal", "queue_job"],
    "data": [],
    "auto_install": True,
    "installable": True,
}
