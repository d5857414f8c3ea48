"""One package per area: views.py (thin) and forms.py."""
