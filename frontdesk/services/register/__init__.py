"""The property register: estates, buildings, units, people, occupancies, vehicles; the desk
search; imports and exports."""
