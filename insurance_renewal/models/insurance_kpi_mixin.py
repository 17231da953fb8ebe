from odoo import api, fields, models
from odoo.tools import SQL


class InsuranceKpiMixin(models.AbstractModel):
    """What the KPI reports share: they are database views (``_auto = False``) and
    their rates are ratios of sums, computed by PostgreSQL for every pivot cell.

    A rate field named in ``_kpi_ratios`` is aggregated as
    ``100 * SUM(numerator) / SUM(denominator)`` over the rows of the group, whatever
    aggregator the view asks for, so that a total is never an average of rates.
    A field named in ``_kpi_until_today`` is a 0/1 column that only counts on rows
    whose date field (the value) is before the day the report is read for, so that
    "grace ended" or "promise due" follow the user's today, not the view's.
    """

    _name = "insurance.kpi.mixin"
    _description = "Renewal KPI Report"
    _auto = False

    # rate field -> (numerator field, denominator field)
    _kpi_ratios = {}
    # 0/1 field -> date field that must be before today for the row to count
    _kpi_until_today = {}

    @api.model
    def _kpi_today(self):
        return fields.Date.context_today(self)

    def _selection_payment_method(self):
        return self._policy_selection("payment_method")

    def _selection_payment_frequency(self):
        return self._policy_selection("payment_frequency")

    def _selection_line_state(self):
        field = self.env["insurance.premium.line"]._fields["state"]
        return field._description_selection(self.env)

    def _policy_selection(self, fname):
        field = self.env["insurance.policy"]._fields[fname]
        return field._description_selection(self.env)

    def _read_group_select(self, aggregate_spec, query):
        fname = aggregate_spec.split(":")[0]
        if fname in self._kpi_ratios:
            numerator, denominator = self._kpi_ratios[fname]
            return SQL(
                "ROUND(100.0 * %s / NULLIF(%s, 0), 2)",
                self._kpi_sum_sql(numerator, query),
                self._kpi_sum_sql(denominator, query),
            )
        if fname in self._kpi_until_today:
            return self._kpi_sum_sql(fname, query)
        return super()._read_group_select(aggregate_spec, query)

    def _kpi_sum_sql(self, fname, query):
        column = self._field_to_sql(self._table, fname, query)
        if fname not in self._kpi_until_today:
            return SQL("COALESCE(SUM(%s), 0)", column)
        date_column = self._field_to_sql(
            self._table, self._kpi_until_today[fname], query
        )
        return SQL(
            "COALESCE(SUM(CASE WHEN %s < %s THEN %s ELSE 0 END), 0)",
            date_column,
            self._kpi_today(),
            column,
        )

    def _kpi_create_view(self, select_sql):
        """(Re)create this model's view from ``select_sql``."""
        self.env.cr.execute(
            SQL(
                "DROP VIEW IF EXISTS %s; CREATE VIEW %s AS (%s)",
                SQL.identifier(self._table),
                SQL.identifier(self._table),
                select_sql,
            )
        )
