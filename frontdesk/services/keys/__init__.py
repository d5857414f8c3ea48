"""Key custody: the key register, custody and authorised borrowers, loans, cabinet counts."""
