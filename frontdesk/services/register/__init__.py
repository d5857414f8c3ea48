"""The property register: estates, buildings, units, people, occupancies, vehicles.

``records`` holds the verbs, ``queries`` what pages and printed forms show (lists, the unit card),
``search`` the desk's search, ``sheets`` the register's file format and its export, and
``imports`` the import of files in that format.
"""
