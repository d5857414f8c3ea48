"""Visitors (访客登记): coming in, going out, who is still inside, and the retention purge."""
