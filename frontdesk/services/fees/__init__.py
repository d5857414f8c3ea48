"""Fees: items and tariffs, meters and readings, bill runs, payments, receipts, refunds, late
fees, statements and finance reports.

Bill runs: ``billing`` previews and posts, ``billrun`` computes the lines (``shares`` apportions
shared meters), ``bill_preview`` holds the result; ``corrections`` credits, adjusts and waives
late fees. Money at the desk: ``payments`` (payments and voids), ``late_fees`` (open lines and
their late fees), ``refunds``, ``receipts``. Page data of bills, payments and refunds is in
``bill_queries``; the printed and exported reports are ``statements``, ``daily_report``,
``reports`` (arrears, dashboard) and ``reports_xlsx``.
"""
