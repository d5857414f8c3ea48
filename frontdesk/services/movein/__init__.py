"""Move-in (入住办理), move-out and transfer (迁出/过户).

``cases`` (the case, its steps, pausing, completing), ``handover`` (readings, keys, first fees),
``inspection`` (验房 and its defects' rectification orders), ``moveout`` (clearance, final
readings, override, completion, transfer), ``setup`` (checklist and first-fee setup) and
``queries`` (what the pages, printed documents and the progress export show).
"""
