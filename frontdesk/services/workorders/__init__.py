"""Work orders to engineering (工单/派工): intake, the states, service levels, dispatch, the
engineer's day, chargeable repairs, callbacks, photos and reports.

One module per concern: ``states`` (the one table of transitions), ``sla`` (the clock),
``orders`` (the verbs), ``routing`` (the dispatch suggestion), ``crew`` (categories, service
levels, engineers), ``photos``, ``queries`` (page data) and ``reports``.
"""
