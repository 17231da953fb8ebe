import logging
import random
import time

from odoo import api, models
from odoo.fields import Domain
from odoo.service.model import (
    MAX_TRIES_ON_CONCURRENCY_FAILURE,
    PG_CONCURRENCY_EXCEPTIONS_TO_RETRY,
)
from odoo.tools import SQL

_logger = logging.getLogger(__name__)


class InsuranceBatchRunner(models.AbstractModel):
    """Runs the scheduled actions' work in committed, claimed batches.

    Every nightly job of the addon (the premium clock, premium invoices, red flags,
    orphaned policies, reminders) goes through here: each batch is claimed (its rows
    locked, those another worker holds skipped), processed, its derived records
    brought up to date (``insurance.fact.flow``), and committed."""

    _name = "insurance.batch.runner"
    _description = "Renewal Batch Runner"

    @api.model
    def _process_in_batches(self, model, domain, process, batch_size):
        """Run ``process`` on every record matching ``domain``, once, in id order and
        in batches committed one by one; return False when the cron's time is up
        (it is then run again soon and goes on).

        Several workers may run this at once: each batch is claimed (its rows
        locked, those another worker holds skipped), and a batch that lost a race
        with another worker is rolled back and claimed again on a fresh snapshot."""
        last_id = 0
        while True:
            records = self._run_retrying_on_concurrency(
                lambda after=last_id: self._claim_and_process(
                    model, domain, process, after, batch_size
                )
            )
            if not records:
                return True
            last_id = records[-1].id
            if not self.env["ir.cron"]._commit_progress(len(records)):
                return False

    @api.model
    def _claim_and_process(self, model, domain, process, after_id, limit):
        records = self._claim_batch(model, domain, after_id, limit)
        if records:
            self._process_isolating_failures(records, process)
        return records

    @api.model
    def _claim_batch(self, model, domain, after_id, limit):
        """Return the next ``limit`` records of ``domain`` after ``after_id``,
        locked until the transaction ends; records another worker is processing
        right now are skipped: that worker does them. A record another worker
        changed and committed since this transaction's snapshot fails to lock (a
        serialization failure, retried on a fresh snapshot by the caller): an
        expected outcome, not logged as a bad query."""
        self.env.flush_all()
        query = model._search(
            Domain(domain) & Domain("id", ">", after_id), limit=limit, order="id"
        )
        self.env.cr.execute(
            SQL(
                "%s FOR NO KEY UPDATE OF %s SKIP LOCKED",
                query.select(SQL.identifier(model._table, "id")),
                SQL.identifier(model._table),
            ),
            log_exceptions=False,
        )
        return model.browse([row[0] for row in self.env.cr.fetchall()])

    @api.model
    def _run_retrying_on_concurrency(self, work):
        """Run ``work`` (the first thing in its transaction) and return its result;
        when it lost a race with another worker (serialization failure, deadlock,
        lock not available), roll its transaction back and run it again, as Odoo
        does for a web request. Nothing was committed in between: nothing is lost
        and nothing done twice."""
        for attempt in range(1, MAX_TRIES_ON_CONCURRENCY_FAILURE + 1):
            try:
                return work()
            except PG_CONCURRENCY_EXCEPTIONS_TO_RETRY as error:
                if attempt == MAX_TRIES_ON_CONCURRENCY_FAILURE:
                    raise
                self.env.cr.rollback()
                _logger.info(
                    "Renewal batch lost a race with another worker (%s); retry %s",
                    error.pgcode,
                    attempt,
                )
                time.sleep(random.uniform(0.0, 0.5 * attempt))
        return None

    @api.model
    def _process_isolating_failures(self, records, process):
        """Run ``process`` on the batch, then bring what it changed through to the
        policies and their cases (one propagation per batch); should it fail, run
        it record by record so that one bad record never stops the others, and
        leave each failure on its record for a person to see. A later run tries
        the failed ones again. A race lost with another worker is not the
        record's fault: it ends the batch, which is then run again whole (see
        _run_retrying_on_concurrency)."""
        flow = records.env["insurance.fact.flow"]
        try:
            with self.env.cr.savepoint():
                process(records)
                flow._propagate()
            return
        except PG_CONCURRENCY_EXCEPTIONS_TO_RETRY:
            raise
        except Exception:  # noqa: BLE001 - any failure: narrow it down below
            flow._discard()
            _logger.info(
                "Batch of %s %s failed; retrying one by one",
                len(records),
                records._name,
            )
        for record in records.exists():
            try:
                with self.env.cr.savepoint():
                    process(record)
                    flow._propagate()
            except PG_CONCURRENCY_EXCEPTIONS_TO_RETRY:
                raise
            except Exception as error:
                flow._discard()
                _logger.exception("Renewal batch: %s failed", record.display_name)
                self._report_batch_failure(record, error)

    @api.model
    def _report_batch_failure(self, record, error):
        target = record if "message_ids" in record._fields else record.policy_id
        # Written by a scheduled run for everyone: in the company's language.
        lang = target.company_id.partner_id.lang or self.env.lang
        target.sudo().message_post(
            body=self.with_context(lang=lang).env._(
                "The scheduled renewal work failed on %(record)s and will be tried "
                "again: %(error)s",
                record=record.display_name,
                error=str(error),
            ),
            subtype_xmlid="mail.mt_note",
        )
