"""Code → label, in one place: what the screens call the codes stored in the database.

Every page that shows a stored code (a payment method, a key's status, a role, a permission,
a field of an audited record …) names it through the maps here, in the user's language. The
printed documents and exports name the same codes in fixed Chinese (``PRINTED_…``, data on paper,
not UI text), also here.

:func:`changes` turns the before/after of an audit event into labelled rows, with the values
named, times in the estate's timezone and hashes shortened, for the audit log, the key's
变更记录 and the unit card's 历史 tab.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l

from frontdesk.services.validation import mask_id, mask_phone

# --- people and their rights ----------------------------------------------------------------

ROLE_LABELS = {
    "frontdesk": _l("Front desk"),
    "engineering": _l("Engineering"),
    "finance": _l("Finance"),
    "manager": _l("Service manager"),
    "admin": _l("System administrator"),
}
PERMISSION_LABELS = {
    "account.self": _l("Own account and password"),
    "dashboard.view": _l("Start page"),
    "desk.use": _l("Desk screen and search"),
    "register.view": _l("View the property register"),
    "register.edit": _l("Edit units and residents"),
    "register.import": _l("Import the register"),
    "register.export": _l("Export the register"),
    "register.print": _l("Print registration forms"),
    "person.phone_full": _l("See whole phone numbers"),
    "person.id_full": _l("See whole ID numbers"),
    "audit.view": _l("Audit log"),
    "fees.view": _l("View fees, bills and receipts"),
    "fees.configure": _l("Set up fee items and tariffs"),
    "meters.read": _l("Enter meter readings"),
    "meters.approve": _l("Approve shared meter readings"),
    "billing.run": _l("Run and post bills"),
    "bills.correct": _l("Credit notes and adjustments"),
    "payments.take": _l("Take payments"),
    "payments.void": _l("Void receipts"),
    "receipts.print": _l("Print receipts"),
    "refunds.request": _l("Request refunds"),
    "refunds.approve": _l("Approve refunds"),
    "latefee.waive": _l("Waive late fees"),
    "reports.finance": _l("Finance reports"),
    "keys.view": _l("View keys and loans"),
    "keys.manage": _l("Keep keys: custody, loans, counts"),
    "keys.approve": _l("Approve key loans"),
    "workorders.view": _l("View work orders"),
    "workorders.report": _l("Report repairs"),
    "workorders.dispatch": _l("Dispatch work orders"),
    "workorders.work": _l("Work on assigned orders"),
    "workorders.callback": _l("Call residents back"),
    "workorders.configure": _l("Set up categories, service levels and the crew"),
    "workorders.reports": _l("Work order reports"),
    "duty.view": _l("View the duty log"),
    "duty.log": _l("Write the duty log and log calls"),
    "duty.handover": _l("Hand over a shift"),
    "duty.configure": _l("Set the shift times"),
    "movein.handle": _l("Move-in, move-out and transfer cases"),
    "movein.override": _l("Let a move-out complete with fees owed"),
    "movein.configure": _l("Set up the inspection checklist and first fees"),
    "complaints.view": _l("View complaints"),
    "complaints.handle": _l("Register and handle complaints"),
    "complaints.approve": _l("Approve complaint proposals"),
    "callbacks.do": _l("Call residents back (callback list)"),
    "callbacks.reports": _l("Satisfaction rates"),
    "visitors.log": _l("Log visitors"),
    "jobs.view": _l("Long jobs and their results"),
    "admin.users": _l("Manage staff accounts"),
    "admin.estates": _l("Manage estates"),
}
OCCUPANCY_LABELS = {"owner": _l("Owner"), "tenant": _l("Tenant"), "member": _l("Household member")}

# --- the audit trail --------------------------------------------------------------------------

AUDIT_OBJECTS = {
    "estate": _l("Estate"), "building": _l("Building"), "unit": _l("Unit"),
    "person": _l("Person"), "occupancy": _l("Occupancy"), "vehicle": _l("Vehicle"),
    "user": _l("User"), "fee_item": _l("Fee item"), "tariff": _l("Tariff"), "meter": _l("Meter"),
    "meter_reading": _l("Meter reading"), "bill_run": _l("Bill run"), "bill_line": _l("Bill line"),
    "payment": _l("Payment"), "refund": _l("Refund"), "receipt": _l("Receipt"),
    "deposit": _l("Deposit"), "key": _l("Key"), "key_custody": _l("Key custody"),
    "key_authorisation": _l("Key authorisation"), "key_loan": _l("Key loan"),
    "key_loss_report": _l("Lost key report"), "key_count": _l("Key count"),
    "key_count_item": _l("Key count item"),
    "work_order_photo": _l("Work order photo"),
    "duty_shift": _l("Duty shift"), "duty_entry": _l("Duty log entry"),
    "duty_shift_definition": _l("Shift definition"),
    "movein_case": _l("Move-in case"), "movein_step": _l("Move-in step"),
    "movein_defect": _l("Inspection defect"), "movein_settings": _l("Move-in setup"),
    "move_out": _l("Move-out or transfer"),
    "complaint": _l("Complaint"), "complaint_category": _l("Complaint category"),
    "visit": _l("Visit"),
}
AUDIT_ACTIONS = {
    "create": _l("Created"), "update": _l("Changed"), "delete": _l("Deleted"),
    "import": _l("Imported"), "login": _l("Logged in"), "change_password": _l("Changed password"),
    "demo_data": _l("Demo data loaded"), "adjust": _l("Adjusted"), "approve": _l("Approved"),
    "reject": _l("Rejected"),
    "credit": _l("Credit note"), "end": _l("Ended"), "grid_entry": _l("Readings entered"),
    "issue": _l("Issued"), "post": _l("Posted"), "print": _l("Printed"),
    "request": _l("Requested"), "void": _l("Voided"), "waive_late_fee": _l("Late fee waived"),
    "start": _l("Started"), "mark": _l("Marked"), "scan": _l("Scanned"), "finish": _l("Finished"),
    "lend": _l("Lent"), "return": _l("Returned"), "lost": _l("Reported lost"),
    "deposit": _l("Deposited"), "authorise": _l("Authorised"), "revoke": _l("Revoked"),
    "take_back": _l("Taken back"),
    "hand_over": _l("Handed over"), "addendum": _l("Addendum added"),
    "done": _l("Finished"), "skip": _l("Skipped"), "pause": _l("Paused"), "resume": _l("Resumed"),
    "complete": _l("Completed"), "cancel": _l("Cancelled"), "accept": _l("Accepted"),
    "override": _l("Overridden"),
    "register": _l("Registered"), "investigate": _l("Investigated"), "propose": _l("Proposed"),
    "send_back": _l("Sent back"), "agree": _l("Agreed"), "carry_out": _l("Carried out"),
    "callback": _l("Called back"), "reopen": _l("Reopened after callback"),
    "check_in": _l("Visitor in"), "check_out": _l("Visitor out"), "purge": _l("Purged"),
}

# --- money ------------------------------------------------------------------------------------

PAYMENT_METHOD_LABELS = {
    "cash": _l("Cash"), "wechat": _l("WeChat Pay"), "alipay": _l("Alipay"),
    "card": _l("Bank card"), "transfer": _l("Bank transfer"),
}
PAYMENT_PURPOSE_LABELS = {"bills": _l("Bills"), "prepaid": _l("Prepaid balance"),
                          "deposit": _l("Deposit")}
LINE_KIND_LABELS = {"charge": _l("Bill"), "adjustment": _l("Adjustment"),
                    "late_fee": _l("Late fee"), "credit": _l("Credit note")}
REFUND_STATE_LABELS = {"pending": _l("Waiting for approval"),
                       "approved": _l("Approved, to be paid out"), "paid": _l("Paid out"),
                       "rejected": _l("Rejected")}
REFUND_SOURCE_LABELS = {"prepaid": _l("Prepaid balance"), "deposit": _l("Deposit")}
PREPAID_KIND_LABELS = {"payment": _l("Payment"), "applied": _l("Used on a bill"),
                       "refund": _l("Refund"), "void": _l("Void")}
FEE_METHOD_LABELS = {
    "area": _l("By area"),
    "metered": _l("By consumption"),
    "apportioned": _l("Shared (apportioned)"),
    "fixed": _l("Fixed amount"),
}
AREA_BASIS_LABELS = {"gross": _l("Gross area"), "inner": _l("Inner area")}
#: the unit a meter of each kind counts in, on screens and on paper alike
METER_UNITS = {"water": "m³", "electricity": "kWh", "gas": "m³"}
FEE_METER_KIND_LABELS = {"water": _l("Water"), "electricity": _l("Electricity"),
                         "gas": _l("Gas")}
TIER_MODE_LABELS = {
    "none": _l("No tiers"),
    "period": _l("Tiers per billing period"),
    "annual": _l("Tiers cumulative over the calendar year"),
}
TARIFF_SCOPE_LABELS = {"estate": _l("Whole estate"), "building": _l("Building"),
                       "unit": _l("Unit")}
METER_KIND_LABELS = {
    "water": _l("Water meter"),
    "electricity": _l("Electricity meter"),
    "gas": _l("Gas meter"),
}
READING_KIND_LABELS = {
    "normal": _l("Normal"),
    "rollover": _l("Rollover"),
    "replacement": _l("Meter replacement"),
}
APPORTION_LABELS = {"area": _l("By gross area"), "equal": _l("Equally per unit")}

AGE_BUCKET_LABELS = {
    "0-30": _l("0–30 days"),
    "31-90": _l("31–90 days"),
    "91-365": _l("91–365 days"),
    "365+": _l("Over 365 days"),
}

# --- money on paper: receipts, notices, statements, vouchers, reports and their xlsx ---------

PRINTED_PAYMENT_METHODS = {"cash": "现金", "wechat": "微信", "alipay": "支付宝", "card": "银行卡",
                           "transfer": "转账"}
PRINTED_PAYMENT_PURPOSES = {"bills": "缴费", "prepaid": "预存款", "deposit": "押金"}
PRINTED_LINE_KINDS = {"charge": "账单", "credit": "冲红", "adjustment": "调整",
                      "late_fee": "滞纳金"}
#: a refund on the cashier's report, by what it paid back
PRINTED_REFUND_SOURCES = {"prepaid": "预存款退款", "deposit": "押金退还"}
PRINTED_AGE_BUCKETS = {"0-30": "0–30天", "31-90": "31–90天", "91-365": "91–365天",
                       "365+": "365天以上"}

# --- keys -------------------------------------------------------------------------------------

KEY_STATUS_LABELS = {
    "in_cabinet": _l("In cabinet"),
    "on_loan": _l("On loan"),
    "returned": _l("Returned to owner"),
    "lost": _l("Lost"),
}
BORROWER_KIND_LABELS = {"owner": _l("Owner"), "authorised": _l("Authorised"),
                        "approved": _l("Approved by a manager")}
#: a cabinet count's report groups, the status a key was expected in, and the item filters
COUNT_GROUP_LABELS = {
    "cabinet_found": _l("Expected in the cabinet and found"),
    "cabinet_missing": _l("Expected in the cabinet but missing"),
    "cabinet_unchecked": _l("Expected in the cabinet, not checked yet"),
    "on_loan": _l("Out on loan"),
    "discrepancy": _l("Found although registered on loan or lost"),
    "lost": _l("Registered lost"),
}
COUNT_EXPECTED_LABELS = {"in_cabinet": _l("In the cabinet"), "on_loan": _l("On loan"),
                         "lost": _l("Lost")}
COUNT_STATE_LABELS = {"unmarked": _l("Not marked"), "found": _l("Found"),
                      "missing": _l("Missing")}

# --- work orders ------------------------------------------------------------------------------

WORK_ORDER_STATES = {
    "pending": _l("Awaiting dispatch"),
    "dispatched": _l("Dispatched"),
    "accepted": _l("Accepted"),
    "in_progress": _l("In progress"),
    "paused": _l("Paused"),
    "completed": _l("Completed"),
    "called_back": _l("Called back"),
    "closed": _l("Closed"),
    "cancelled": _l("Cancelled"),
}
PRINTED_WORK_ORDER_STATES = {
    "pending": "待派单", "dispatched": "已派单", "accepted": "已接单", "in_progress": "处理中",
    "paused": "暂停", "completed": "已完工", "called_back": "已回访", "closed": "已关闭",
    "cancelled": "已取消",
}
WORK_ORDER_ACTIONS = {
    "create": _l("Reported"), "dispatch": _l("Dispatched"), "take": _l("Taken"),
    "accept": _l("Accepted"), "decline": _l("Declined"), "start": _l("Started"),
    "pause": _l("Paused"), "resume": _l("Resumed"), "complete": _l("Completed"),
    "callback": _l("Called back"), "reopen": _l("Reopened after callback"),
    "close": _l("Closed"), "cancel": _l("Cancelled"),
}
PRIORITY_LABELS = {"urgent": _l("Urgent"), "normal": _l("Normal priority")}
PRINTED_PRIORITIES = {"urgent": "紧急", "normal": "一般"}
#: the sources are stored as their Chinese names; this names them in English too
SOURCE_LABELS = {"电话": _l("Phone call"), "来访": _l("Visit"), "投诉": _l("Complaint"),
                 "验房": _l("Inspection"), "巡查": _l("Patrol")}
COST_KIND_LABELS = {"material": _l("Material"), "labour": _l("Labour")}
PRINTED_COST_KINDS = {"material": "材料", "labour": "人工"}

# --- the duty log -----------------------------------------------------------------------------

#: the kinds of entry are stored as their Chinese names; this names them in either language
ENTRY_KIND_LABELS = {"来电": _l("Incoming call"), "来访": _l("Walk-in visit"),
                     "巡查": _l("Patrol round"), "事件": _l("Incident"),
                     "交办": _l("Task handed on"), "其他": _l("Other matter")}
HANDOVER_KIND_LABELS = {"work_order": _l("Open work order"), "key_loan": _l("Key out on loan"),
                        "overdue_loan": _l("Overdue key loan"),
                        "callback": _l("Waiting for a callback"),
                        "complaint": _l("Complaint waiting"),
                        "note": _l("Handed on")}
SHIFT_STATE_LABELS = {"open": _l("On duty"), "locked": _l("Handed over")}
# --- move-in, move-out and transfer -----------------------------------------------------------

MOVEIN_STEP_LABELS = {
    "verify": _l("Check documents"), "residents": _l("Register residents"),
    "agreements": _l("Sign agreements"), "readings": _l("Handover meter readings"),
    "inspection": _l("Inspection"), "keys": _l("Hand over keys"), "fees": _l("First fees"),
    "complete": _l("Complete"),
}
PRINTED_MOVEIN_STEPS = {
    "verify": "核验资料", "residents": "登记住户", "agreements": "签署协议", "readings": "交房抄表",
    "inspection": "验房", "keys": "移交钥匙", "fees": "首期缴费", "complete": "完成",
}
MOVEIN_STEP_STATE_LABELS = {"pending": _l("Pending"), "done": _l("Done"),
                            "skipped": _l("Skipped")}
MOVEIN_CASE_STATE_LABELS = {"open": _l("In progress"), "completed": _l("Finished"),
                            "cancelled": _l("Cancelled"), "paused": _l("Paused")}
MOVEIN_CASE_KIND_LABELS = {"movein": _l("Move-in"), "transfer": _l("Move-in after a transfer")}
MOVE_OUT_KIND_LABELS = {"moveout": _l("Move-out"), "transfer": _l("Transfer")}
PRINTED_MOVE_OUT_KINDS = {"moveout": "迁出", "transfer": "过户"}
#: a defect's state, from its work order's
DEFECT_STATE_LABELS = {"open": _l("Being rectified"), "fixed": _l("Fixed, awaiting acceptance"),
                       "accepted": _l("Accepted by the resident"),
                       "cancelled": _l("Work order cancelled")}
PRINTED_DEFECT_STATES = {"open": "整改中", "fixed": "已整改待验收", "accepted": "业主已验收",
                         "cancelled": "工单已取消"}
# --- complaints and visitors -----------------------------------------------------------------

COMPLAINT_STATES = {
    "registered": _l("Registered"),
    "investigated": _l("Investigated"),
    "proposed": _l("Awaiting approval"),
    "approved": _l("Approved"),
    "agreed": _l("Agreed with the resident"),
    "carried_out": _l("Carried out"),
    "closed": _l("Closed"),
}
#: what each state waits for next
COMPLAINT_NEXT = {
    "registered": _l("Investigate"),
    "investigated": _l("Propose"),
    "proposed": _l("Manager approval"),
    "approved": _l("Agree with the resident"),
    "agreed": _l("Carry out"),
    "carried_out": _l("Callback"),
    "closed": _l("Closed"),
}
PRINTED_COMPLAINT_STATES = {
    "registered": "已登记", "investigated": "已调查", "proposed": "待审批", "approved": "已审批",
    "agreed": "已协商", "carried_out": "已落实", "closed": "已结案",
}
COMPLAINT_ACTIONS = {
    "register": _l("Registered"), "investigate": _l("Investigated"),
    "propose": _l("Proposed"), "approve": _l("Approved"), "send_back": _l("Sent back"),
    "agree": _l("Agreed with the resident"), "carry_out": _l("Carried out"),
    "callback": _l("Called back, satisfied"), "reopen": _l("Called back, not satisfied"),
}
PRINTED_COMPLAINT_ACTIONS = {
    "register": "登记", "investigate": "调查", "propose": "处理意见", "approve": "审批同意",
    "send_back": "退回", "agree": "协商确认", "carry_out": "落实", "callback": "回访（满意）",
    "reopen": "回访（不满意）",
}
CHANNEL_LABELS = {"电话": _l("Phone call"), "来访": _l("Visit"), "网络": _l("Online"),
                  "信函": _l("Letter"), "其他": _l("Other")}
SATISFACTION_LABELS = {1: _l("Very unsatisfied"), 2: _l("Unsatisfied"), 3: _l("Acceptable"),
                       4: _l("Satisfied"), 5: _l("Very satisfied")}
PRINTED_SATISFACTION = {1: "很不满意", 2: "不满意", 3: "基本满意", 4: "满意", 5: "很满意"}

# --- fields of audited records --------------------------------------------------------------

FIELD_LABELS = {
    "active": _l("In use"), "address": _l("Address"), "amount": _l("Amount"),
    "allocations": _l("Paid on bills"), "already": _l("Already found"),
    "already_billed": _l("Already billed"), "apportion_basis": _l("Apportioned"),
    "approval_reason": _l("Reason for the approval"), "approved_at": _l("Approved at"),
    "approved_by_id": _l("Approved by"), "area": _l("Public area"),
    "area_basis": _l("Area basis"), "as_of": _l("As of"),
    "authorisation_id": _l("Authorisation"), "bill_line_id": _l("Bill line"),
    "bill_run_id": _l("Bill run"), "borrower_id_tail": _l("Borrower's ID tail"),
    "borrower_kind": _l("Borrower is"), "borrower_name": _l("Borrower"),
    "borrower_phone": _l("Borrower's phone"), "building": _l("Building"),
    "building_id": _l("Building"), "bulk_building_id": _l("Registered for building"),
    "by_item": _l("By fee item"), "cabinet": _l("Cabinet"), "cashier_id": _l("Cashier"),
    "circumstances": _l("Circumstances"), "code": _l("Code"), "consumption": _l("Consumption"),
    "copies": _l("Copies"), "corrects_id": _l("Corrects bill line"),
    "count_id": _l("Key count"), "created_at": _l("Created at"),
    "created_by_id": _l("Created by"), "custody_id": _l("Key custody"),
    "cycle_months": _l("Billing cycle (months)"), "days": _l("Days"),
    "decided_at": _l("Decided at"), "decided_by_id": _l("Decided by"),
    "deposit_id": _l("Deposit"), "deposited_at": _l("Deposited at"),
    "depositor_name": _l("Depositor"), "depositor_phone": _l("Depositor's phone"),
    "due_date": _l("Due date"), "due_day": _l("Due day"), "elevator": _l("Elevator"),
    "emergency_contact": _l("Emergency contact"), "emergency_phone": _l("Emergency phone"),
    "end_date": _l("End date"), "ended_at": _l("Ended at"), "ended_by": _l("Ended by"),
    "ended_by_id": _l("Ended by"), "entered_at": _l("Entered at"),
    "entered_by_id": _l("Entered by"), "entrance": _l("Entrance"),
    "expected_return_at": _l("Expected back"), "expected_status": _l("Register says"),
    "explanation": _l("Explanation"), "fee_item_id": _l("Fee item"), "file": _l("File"),
    "finished_at": _l("Finished at"), "flagged": _l("Flagged"), "floor": _l("Floor"),
    "floors": _l("Floors"), "found": _l("Found"), "full_name": _l("Name"),
    "gross_area": _l("Gross area"), "handover_date": _l("Handover date"), "hash": _l("Hash"),
    "id": _l("No."), "id_number": _l("ID number"), "id_tail": _l("ID tail"),
    "id_type": _l("ID type"), "idempotency_key": _l("Form token"),
    "inner_area": _l("Inner area"), "is_primary": _l("Primary contact"),
    "issued_at": _l("Issued at"), "items": _l("Keys"), "key_count_item": _l("Key count item"),
    "key_id": _l("Key"), "kind": _l("Kind"), "last_login_at": _l("Last login"),
    "late_cap_ratio": _l("Late fee cap"), "late_daily_rate": _l("Late fee per day"),
    "late_fee": _l("Late fee"), "late_fee_waived": _l("Late fee waived"),
    "late_grace_days": _l("Grace days"), "lent_at": _l("Lent at"),
    "lent_by_id": _l("Lent by"), "lines": _l("Lines"), "loan_id": _l("Key loan"),
    "locale": _l("Language"), "marked_at": _l("Marked at"), "max_value": _l("Dial maximum"),
    "meter_id": _l("Meter"), "meter_kind": _l("Meter kind"), "method": _l("Method"),
    "missing": _l("Missing"), "missing_at_finish": _l("Recorded missing at the end"),
    "multiplier": _l("Multiplier"), "name": _l("Name"), "not_in_count": _l("Not in the count"),
    "note": _l("Note"), "number": _l("Number"), "old_final_value": _l("Old meter's final reading"),
    "on_loan": _l("On loan"), "outstanding": _l("Outstanding"), "payer": _l("Payer"),
    "payment_id": _l("Payment"), "people": _l("People"), "period": _l("Period"),
    "person_id": _l("Person"), "phone": _l("Phone"), "phone_tail": _l("Phone tail"),
    "plate": _l("Plate number"), "posted_at": _l("Posted at"), "posted_by_id": _l("Posted by"),
    "prepaid": _l("Prepaid balance"), "prepaid_reversed": _l("Prepaid balance taken back"),
    "prev_hash": _l("Previous hash"), "previous_value": _l("Previous reading"),
    "price": _l("Price"), "print_count": _l("Prints"), "problems": _l("Problems"),
    "proxy_id_tail": _l("Proxy's ID tail"), "proxy_name": _l("Picked up by"),
    "proxy_phone": _l("Proxy's phone"), "purpose": _l("Purpose"), "quantity": _l("Quantity"),
    "readings": _l("Readings"), "reason": _l("Reason"), "received_at": _l("Received at"),
    "received_by_id": _l("Received by"), "receipt_prefix": _l("Receipt prefix"),
    "reference": _l("Transaction number"), "refund_id": _l("Refund"),
    "refunded": _l("Refunded"), "replaced": _l("Replaced"), "reported_at": _l("Reported at"),
    "reported_by_id": _l("Reported by"), "reprint": _l("Reprint"),
    "requested_at": _l("Requested at"), "requested_by_id": _l("Requested by"),
    "return_condition": _l("Condition"), "return_hash": _l("Return hash"),
    "returned_at": _l("Returned at"), "returned_to_id": _l("Taken back by"),
    "reversed": _l("Taken off bills"), "revoked_at": _l("Revoked at"), "role": _l("Role"),
    "roles": _l("Roles"), "room": _l("Room"), "rows": _l("Rows"), "scope": _l("Applies to"),
    "seq": _l("Sequence number"), "settled": _l("Paid"), "shared": _l("Shared meter"),
    "slot": _l("Slot"), "source": _l("Refund of"), "start_date": _l("Start date"),
    "started_at": _l("Started at"), "started_by_id": _l("Started by"), "state": _l("State"),
    "status": _l("Status"), "tag": _l("Tag number"), "tendered": _l("Cash tendered"),
    "change": _l("Change"), "tier_mode": _l("Tiered prices"), "tiers": _l("Tiers"),
    "timezone": _l("Timezone"), "total": _l("Total"), "unit_id": _l("Unit"),
    "units": _l("Units"), "unknown": _l("Unknown tags"), "usage": _l("Usage"),
    "user_id": _l("User"), "username": _l("Username"), "vacancy_discount": _l("Vacancy discount"),
    "valid_from": _l("Valid from"), "valid_to": _l("Valid to"),
    "valid_until": _l("Valid until"), "value": _l("Reading"),
    "void_reason": _l("Reason for the void"),
    "voided": _l("Void"), "voided_at": _l("Voided at"), "voided_by": _l("Voided by"),
    "voided_by_id": _l("Voided by"), "was_found": _l("Was found"), "year": _l("Year"),
    "estate_id": _l("Estate"), "content": _l("Content"),
    # the duty log
    "at": _l("Time"), "shift_id": _l("Shift"), "handling": _l("Handling"),
    "caller_name": _l("Caller"), "caller_phone": _l("Caller's number"),
    "call_result": _l("Result of the call"), "work_order_id": _l("Work order"),
    "key_loan_id": _l("Key loan"), "complaint_id": _l("Complaint no."),
    "addendum_of_id": _l("Addendum to entry"), "day": _l("Date"),
    "starts_at": _l("Starts at"), "ends_at": _l("Ends at"), "locked_at": _l("Handed over at"),
    "handed_over_by_id": _l("Handed over by"), "cash_expected": _l("Cash expected"),
    "cash_counted": _l("Cash counted"), "cash_note": _l("Note on the cash"),
    "handover_note": _l("Handover note"), "start_minute": _l("Starts (minutes after 00:00)"),
    "end_minute": _l("Ends (minutes after 00:00)"), "sort_order": _l("Order in the list"),
    # move-in, move-out and transfer
    "data": _l("Recorded"), "step": _l("Step"), "case_id": _l("Move-in case"),
    "new_case_id": _l("Move-in case"), "move_out_id": _l("Move-out or transfer"),
    "occupancy_id": _l("Occupancy"),
    "override_reason": _l("Reason for letting it complete with fees owed"),
    "override_by_id": _l("Overridden by"), "override_at": _l("Overridden at"),
    "accepted_at": _l("Accepted at"), "accepted_by_name": _l("Accepted by"),
    "accept_note": _l("Note"), "owed": _l("Fees owed (late fees included)"),
    "owed_at_completion": _l("Fees owed (late fees included)"),
    "opened_at": _l("Started at"), "opened_by_id": _l("Started by"),
    "completed_at": _l("Done at"), "completed_by_id": _l("Done by"),
    "done_at": _l("Done at"), "done_by_id": _l("Done by"), "found_at": _l("Found at"),
    "found_by_id": _l("Found by"), "recorded_by_id": _l("Done by"),
    "paused_at": _l("Paused since"), "pause_reason": _l("Reason"),
    "cancel_reason": _l("Reason"), "checklist": _l("Inspection checklist"),
    "prepaid_months": _l("Months proposed in advance"),
    "decoration_deposit": _l("Decoration deposit proposed (yuan)"),
    "new_person_id": _l("New owner"), "item": _l("Item"),
    "contract_no": _l("Purchase contract number"), "contract_date": _l("Contract date"),
    "identity_checked": _l("The owner's identity document was checked"),
    "service_agreement_date": _l("Property service agreement signed on"),
    "rules_date": _l("Estate rules signed on"), "names": _l("Residents"),
    "plates": _l("Plate number"), "months": _l("Months of management fee paid in advance"),
    "deposit": _l("Decoration deposit"), "receipt_no": _l("Receipt"),
    "handed": _l("Handed to the owner"), "kept": _l("Left with the desk"),
    # work orders, complaints and visitors
    "reporter_name": _l("Reporter"), "reporter_phone": _l("Reporter's phone"),
    "category_id": _l("Category"), "description": _l("Description"),
    "priority": _l("Priority"), "appointment_at": _l("Appointment"), "team": _l("Team"),
    "assignee_id": _l("Engineer"), "origin": _l("Opened from"), "origin_id": _l("Opened from no."),
    "dispatched_at": _l("Dispatched at"), "called_back_at": _l("Called back at"),
    "closed_at": _l("Closed at"), "cancelled_at": _l("Cancelled at"),
    "response_due_at": _l("Response due"), "completion_due_at": _l("Completion due"),
    "paused_since": _l("Paused since"), "paused_remaining_seconds": _l("Time left when paused (s)"),
    "paused_seconds": _l("Time paused (s)"), "response_breached": _l("Response late"),
    "completion_breached": _l("Completion late"), "completion_note": _l("Completion note"),
    "chargeable": _l("Chargeable repair"), "quote_amount": _l("Quoted amount"),
    "quote_confirmed_by": _l("Quote confirmed by"), "quote_confirmed_at": _l("Quote confirmed at"),
    "satisfaction": _l("Satisfaction"), "callback_comment": _l("Callback comment"),
    "callback_by_id": _l("Called back by"), "order_id": _l("Work order"),
    "unit_name": _l("Unit of measure"), "unit_price": _l("Unit price"),
    "added_by_id": _l("Added by"), "added_at": _l("Added at"), "skills": _l("Skills"),
    "on_duty": _l("On duty"), "is_lead": _l("Team lead"), "stage": _l("Taken at"),
    "stored_name": _l("Stored file"), "original_name": _l("File name"), "width": _l("Width"),
    "height": _l("Height"), "size": _l("Size (bytes)"), "uploaded_by_id": _l("Uploaded by"),
    "uploaded_at": _l("Uploaded at"), "channel": _l("Channel"), "category": _l("Category"),
    "request": _l("What the resident asks for"), "registered_at": _l("Registered at"),
    "registered_by_id": _l("Registered by"), "reply_due_at": _l("First reply due"),
    "first_reply_at": _l("First reply at"), "findings": _l("Findings"),
    "proposal": _l("Proposed handling"), "compensation": _l("Compensation"),
    "agreement": _l("Agreed with the resident"), "outcome": _l("What was done"),
    "in_at": _l("In at"), "out_at": _l("Out at"), "out_by_id": _l("Seen out by"),
    "intake_key": _l("Form key"),
}
#: where a field means something else on one kind of record
OBJECT_FIELD_LABELS = {
    ("payment", "method"): _l("Payment method"), ("payment", "purpose"): _l("Payment for"),
    ("refund", "method"): _l("Paid back by"), ("key_loan", "purpose"): _l("Purpose"),
    ("bill_line", "kind"): _l("Kind"), ("meter_reading", "value"): _l("Reading"),
    ("movein_defect", "room"): _l("Room in the unit"),
}
#: the labels of a field's values, by field; (object type, field) first where they differ
VALUE_LABELS: dict[Any, Mapping[str, Any]] = {
    ("key", "status"): KEY_STATUS_LABELS,
    ("key_count_item", "expected_status"): COUNT_EXPECTED_LABELS,
    ("payment", "method"): PAYMENT_METHOD_LABELS,
    ("refund", "method"): PAYMENT_METHOD_LABELS,
    ("fee_item", "method"): FEE_METHOD_LABELS,
    ("bill_line", "kind"): LINE_KIND_LABELS,
    ("prepaid_entry", "kind"): PREPAID_KIND_LABELS,
    ("meter", "kind"): METER_KIND_LABELS,
    ("meter_reading", "kind"): READING_KIND_LABELS,
    ("occupancy", "role"): OCCUPANCY_LABELS,
    ("user", "role"): ROLE_LABELS,
    ("key_loan", "purpose"): {},
    ("movein_step", "state"): MOVEIN_STEP_STATE_LABELS,
    ("movein_step", "step"): MOVEIN_STEP_LABELS,
    ("movein_case", "state"): MOVEIN_CASE_STATE_LABELS,
    ("movein_case", "kind"): MOVEIN_CASE_KIND_LABELS,
    ("move_out", "state"): MOVEIN_CASE_STATE_LABELS,
    ("move_out", "kind"): MOVE_OUT_KIND_LABELS,
    "purpose": PAYMENT_PURPOSE_LABELS,
    "state": REFUND_STATE_LABELS,
    "source": REFUND_SOURCE_LABELS,
    "borrower_kind": BORROWER_KIND_LABELS,
    "scope": TARIFF_SCOPE_LABELS,
    "area_basis": AREA_BASIS_LABELS,
    "meter_kind": FEE_METER_KIND_LABELS,
    "tier_mode": TIER_MODE_LABELS,
    "apportion_basis": APPORTION_LABELS,
    "roles": ROLE_LABELS,
    "locale": {"zh_CN": "简体中文", "en": "English"},
}
#: fields that are shares, shown as per cent (the late fee per day as %/day)
PERCENT_FIELDS = {"late_cap_ratio", "vacancy_discount"}
PER_DAY_PERCENT_FIELDS = {"late_daily_rate"}
#: fields holding a hash: shown shortened
HASH_FIELDS = {"hash", "prev_hash", "return_hash"}
#: fields not worth showing to a person (internal tokens, copies of the whole record)
HIDDEN_FIELDS = {"content", "idempotency_key", "intake_key", "password_hash", "estate_id", "id"}
#: phone and ID numbers: shown masked in the audit trail, as on the pages that list people
PHONE_FIELDS = {"phone", "borrower_phone", "depositor_phone", "proxy_phone", "emergency_phone"}
ID_NUMBER_FIELDS = {"id_number"}
#: fields holding a user's id, shown as the user's name
USER_FIELDS = {"approved_by_id", "cashier_id", "created_by_id", "decided_by_id", "ended_by_id",
               "handed_over_by_id",
               "entered_by_id", "lent_by_id", "posted_by_id", "received_by_id",
               "reported_by_id", "requested_by_id", "returned_to_id", "started_by_id",
               "user_id", "voided_by_id", "override_by_id", "opened_by_id", "completed_by_id",
               "done_by_id", "found_by_id", "recorded_by_id", "assignee_id", "callback_by_id",
               "added_by_id", "uploaded_by_id", "registered_by_id", "out_by_id"}
#: fields holding the id of another record, and the kind of record, which the page names
#: (a unit's code, a key's tag, a payment's receipt number, a bill's period and fee item …)
REFERENCE_FIELDS = {
    **{f: "user" for f in USER_FIELDS},
    "unit_id": "unit", "key_id": "key", "payment_id": "payment", "bill_line_id": "bill_line",
    "corrects_id": "bill_line", "fee_item_id": "fee_item", "custody_id": "key_custody",
    "deposit_id": "deposit", "person_id": "person", "authorisation_id": "key_authorisation",
    "loan_id": "key_loan", "building_id": "building", "bulk_building_id": "building",
}

YES, NO = _l("Yes"), _l("No")
EMPTY = "—"

_ISO_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$")


def label(labels: Mapping[str, Any], code: str | None) -> str:
    """Name a code with a map, or show the code itself when the map does not know it."""
    if code is None:
        return ""
    return str(labels.get(code, code))


def percent(share: Decimal | str | None, *, per_day: bool = False) -> str:
    """Show a share as per cent: 0.0005 → "0.05 %", per day "0.05 %/日" ("%/day")."""
    if share is None or share == "":
        return ""
    try:
        value = (Decimal(str(share)) * 100).normalize()
    except InvalidOperation:
        return str(share)
    text = f"{value:f} %"
    return str(_l("%(p)s/day", p=text)) if per_day else text


def local_time(value: datetime, tz: str | ZoneInfo, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """Show a datetime (a naive one is UTC) in the estate's timezone."""
    zone = tz if isinstance(tz, ZoneInfo) else ZoneInfo(tz)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(zone).strftime(fmt)


@dataclass(frozen=True)
class Change:
    """One field of an audit event: its label, and the value before and after, as shown."""

    field: str
    label: str
    before: str | None
    after: str


#: (kind of reference, id) → what to show; the page supplies it (user names, unit codes)
Resolver = Callable[[str, int], str | None]


def _value_map(object_type: str, field: str) -> Mapping[str, Any] | None:
    if (object_type, field) in VALUE_LABELS:
        return VALUE_LABELS[(object_type, field)]
    return VALUE_LABELS.get(field)


def value_text(object_type: str, field: str, value: Any, tz: str | ZoneInfo,
               resolve: Resolver | None = None) -> str:
    """Show one stored value of an audited field the way a person reads it."""
    if value is None or value == "":
        return EMPTY
    if isinstance(value, bool):
        return str(YES if value else NO)
    if field in PHONE_FIELDS and isinstance(value, str):
        return mask_phone(value)
    if field in ID_NUMBER_FIELDS and isinstance(value, str):
        return mask_id(value)
    if field in HASH_FIELDS and isinstance(value, str):
        return value[:12] + "…" if len(value) > 12 else value
    if field in PERCENT_FIELDS or field in PER_DAY_PERCENT_FIELDS:
        return percent(value, per_day=field in PER_DAY_PERCENT_FIELDS)
    if resolve is not None and isinstance(value, int):
        kind = REFERENCE_FIELDS.get(field)
        if kind:
            return resolve(kind, value) or f"#{value}"
    if isinstance(value, list):
        return "; ".join(value_text(object_type, field, v, tz, resolve) for v in value) or EMPTY
    if isinstance(value, dict):
        return ", ".join(f"{FIELD_LABELS.get(k, k)} {value_text(object_type, k, v, tz, resolve)}"
                         for k, v in value.items() if k not in HIDDEN_FIELDS)
    if isinstance(value, str) and _ISO_TIME.match(value):
        try:
            return local_time(datetime.fromisoformat(value.replace("Z", "+00:00")), tz)
        except ValueError:
            return value
    labels = _value_map(object_type, field)
    if labels and isinstance(value, str):
        return label(labels, value)
    return str(value)


def changes(object_type: str, before: Mapping | None, after: Mapping | None,
            tz: str | ZoneInfo, resolve: Resolver | None = None) -> list[Change]:
    """Return the labelled fields of an audit event, before → after where both are known.

    Fields of a new record that are empty (blank, none, no) are left out: only what was set.
    """
    before = before or {}
    after = after or {}
    rows = []
    for field in list(after) + [f for f in before if f not in after]:
        if field in HIDDEN_FIELDS:
            continue
        if field not in before and after.get(field) in (None, "", [], {}, False):
            continue
        old = (value_text(object_type, field, before[field], tz, resolve)
               if field in before else None)
        new = (value_text(object_type, field, after[field], tz, resolve)
               if field in after else EMPTY)
        name = OBJECT_FIELD_LABELS.get((object_type, field)) or FIELD_LABELS.get(field, field)
        rows.append(Change(field=field, label=str(name),
                           before=old, after=new))
    return rows

#: what each kind of long job does, as the list of jobs names it
JOB_KIND_LABELS = {
    "bill_run": _l("Bill run"),
    "notices": _l("Payment notices of a building"),
    "register_import": _l("Register import"),
    "readings_import": _l("Meter readings import"),
}
JOB_STATUS_LABELS = {
    "queued": _l("Waiting"),
    "running": _l("Running"),
    "done": _l("Finished"),
    "failed": _l("Failed"),
    "interrupted": _l("Interrupted"),
}
