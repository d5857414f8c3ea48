"""The duty log (值班记录 / 服务中心工作记录): shifts, entries, calls and the handover.

One module per feature: ``shifts`` (definitions, the shift on duty, who is on it), ``entries``
(entries, calls that open work orders, addenda, search), ``handover`` (pending items, the
shift's takings, the incoming staff's confirmation, the lock and the hash chain
"duty_shifts"); what the pages and printed sheets show is in ``queries``.

Times: every verb takes ``now`` (aware UTC); a naive datetime typed in a form is a local time
in the estate's timezone.
"""
