# The project's commands; each says what it needs when something is missing.
.PHONY: run test lint

run:  ## Serve Odoo on http://localhost:8069 with insurance_renewal and demo data
	bash scripts/run.sh

test:  ## Run every test on a fresh database; prints "N passed, N failed"
	bash scripts/test.sh

lint:  ## ruff and pylint-odoo (OCA mandatory checks)
	bash scripts/lint.sh
