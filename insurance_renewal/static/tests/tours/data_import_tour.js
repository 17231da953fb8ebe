/** @odoo-module **/
/* The renewal data import in the browser: a specialist opens the import from the
 * Renewals menu, uploads an extract with one bad row, reads the row, column and
 * reason of the fault, imports the good rows only and finds the imported policy. */
import { registry } from "@web/core/registry";

const EXTRACT = [
    "Policy Number,Product Code,Policyholder,Policyholder Phone,Issue Date,Payment Frequency,Premium,Premium Years,Card Number,Payment Method",
    "T-IMP-1,TOUR-IMP,李娜,13900139000,2024-01-31,年交,12000,10,6228480012345671,银行代扣",
    "T-IMP-2,TOUR-IMP,王芳,13900139001,2024-03-31,年交,8000,10,6228480012345670,银行代扣",
].join("\r\n");

function openRenewalMenu(xmlid) {
    return [
        {
            content: "Open the Renewals menu",
            trigger: ".o_menu_sections button:contains('Renewals')",
            run: "click",
        },
        {
            trigger: `.dropdown-item[data-menu-xmlid='${xmlid}']`,
            run: "click",
        },
    ];
}

registry.category("web_tour.tours").add("insurance_renewal_data_import_tour", {
    steps: () => [
        ...openRenewalMenu("insurance_renewal.menu_data_import"),
        {
            content: "Start a new import",
            trigger: ".o_control_panel:has(.o_breadcrumb:contains('Import Renewal Data')) .o_list_button_add",
            run: "click",
        },
        {
            content: "Upload the renewal extract",
            trigger: ".o_form_view .o_field_widget[name='data_file']",
            run() {
                const input = this.anchor.querySelector("input[type='file']");
                const file = new File([EXTRACT], "renewal_extract.csv", { type: "text/csv" });
                const transfer = new DataTransfer();
                transfer.items.add(file);
                input.files = transfer.files;
                input.dispatchEvent(new Event("change", { bubbles: true }));
            },
        },
        {
            content: "The file is loaded",
            trigger: ".o_form_view .o_field_widget[name='name']:contains('renewal_extract.csv')",
        },
        {
            content: "Check the file",
            trigger: ".o_form_view button[name='action_check']",
            run: "click",
        },
        {
            content: "The bad row is listed with its row, column and reason",
            trigger:
                ".o_field_widget[name='error_ids'] .o_data_row:has(.o_data_cell[name='row']:contains('3')):has(.o_data_cell[name='field']:contains('Card Number')):has(.o_data_cell[name='message']:contains('6228********5670')):contains('Luhn')",
        },
        {
            content: "Nothing was imported: the file has a bad row",
            trigger: ".o_form_view .alert-danger:contains('nothing was imported')",
        },
        {
            content: "Choose to import only the good rows",
            trigger: ".o_field_widget[name='import_valid_only'] input",
            run: "click",
        },
        {
            content: "Import the good rows",
            trigger: ".o_form_view button[name='action_import']:contains('Import the Good Rows')",
            run: "click",
        },
        {
            content: "One policy was created",
            trigger:
                ".o_form_view .o_statusbar_status .o_arrow_button_current:contains('Imported')",
        },
        {
            trigger: ".o_form_view .o_field_widget[name='created_count']:contains('1')",
        },
        ...openRenewalMenu("insurance_renewal.menu_insurance_policy"),
        {
            content: "The imported policy is in the list; the bad row's is not",
            trigger:
                ".o_list_view:not(:has(.o_data_row:contains('T-IMP-2'))) .o_data_row:contains('T-IMP-1') .o_data_cell:contains('李娜')",
            run: "click",
        },
        {
            content: "The imported policy opens",
            trigger: ".o_form_view .o_field_widget[name='name']:contains('T-IMP-1')",
        },
    ],
});
