"""Fees: items and tariffs, meters and readings, bill runs, payments, receipts, refunds, late
fees, statements and finance reports."""

# meters first: its import of readings files calls readings and queries, which build on meters
from frontdesk.services.fees import meters  # noqa: F401
