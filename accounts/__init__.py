"""Logins: usernames claimed whatever their case, lockout after failed logins
(django-axes), API tokens that expire and are revoked (django-rest-knox)."""
