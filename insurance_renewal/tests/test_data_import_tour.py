from odoo.tests import HttpCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestDataImportTour(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        new_test_user(
            cls.env,
            login="import_tour_specialist",
            groups="insurance_renewal.group_insurance_renewal_user",
        )
        cls.env["insurance.product"].create({"name": "鑫福 (导入)", "code": "TOUR-IMP"})

    def test_specialist_imports_the_good_rows_of_an_extract_with_a_bad_row(self):
        self.start_tour(
            "/odoo/action-insurance_renewal.insurance_policy_action",
            "insurance_renewal_data_import_tour",
            login="import_tour_specialist",
        )
        imported = self.env["insurance.data.import"].search([])
        self.assertRecordValues(
            imported,
            [
                {
                    "name": "renewal_extract.csv",
                    "state": "done",
                    "error_row_count": 1,
                    "created_count": 1,
                }
            ],
        )
        policies = self.env["insurance.policy"].search(
            [("name", "in", ("T-IMP-1", "T-IMP-2"))]
        )
        self.assertEqual(policies.mapped("name"), ["T-IMP-1"])
        self.assertEqual(policies.partner_id.name, "李娜")
        self.assertNotEqual(policies.state, "draft")
