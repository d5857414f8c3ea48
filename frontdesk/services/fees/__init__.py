"""Fees: items and tariffs, meters and readings, bill runs, payments, receipts, refunds, late
fees, statements and finance reports."""
