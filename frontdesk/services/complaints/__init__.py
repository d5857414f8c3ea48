"""Complaints (投诉): the seven steps (:mod:`.states`, :mod:`.complaints`), what the pages show
(:mod:`.queries`) and the register's workbook (:mod:`.xlsx`)."""
