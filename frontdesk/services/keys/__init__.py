"""Key custody: the key register, custody and authorised borrowers, loans, cabinet counts.

``registry`` (keys, bulk registration), ``custody`` (deposit, authorise, revoke, take back),
``borrowers`` (who may borrow a key), ``loans`` (lend, return, lost), ``counts`` (the cabinet
count) hold the verbs; ``queries`` holds what the key pages, the unit card and the printed key
documents show.
"""
