"""Fees: fee items, tariffs, meters and readings, bills, payments, receipts, refunds."""

from frontdesk.models.fees.bills import LINE_KINDS, BillLine, BillRun
from frontdesk.models.fees.items import (
    AREA_BASES,
    FEE_METHODS,
    TARIFF_SCOPES,
    TIER_MODES,
    FeeItem,
    Tariff,
)
from frontdesk.models.fees.meters import METER_KINDS, READING_KINDS, Meter, MeterReading, Quantity
from frontdesk.models.fees.payments import (
    PAYMENT_METHODS,
    PAYMENT_PURPOSES,
    REFUND_STATES,
    Allocation,
    Deposit,
    Payment,
    PrepaidEntry,
    Refund,
)
from frontdesk.models.fees.receipts import Receipt, ReceiptCounter

__all__ = [
    "AREA_BASES", "FEE_METHODS", "LINE_KINDS", "METER_KINDS", "PAYMENT_METHODS",
    "PAYMENT_PURPOSES", "READING_KINDS", "REFUND_STATES", "TARIFF_SCOPES", "TIER_MODES",
    "Allocation", "BillLine", "BillRun", "Deposit", "FeeItem", "Meter", "MeterReading", "Payment",
    "PrepaidEntry", "Quantity", "Receipt", "ReceiptCounter", "Refund", "Tariff",
]
