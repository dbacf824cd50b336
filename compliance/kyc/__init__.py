"""KYC and phone trust (issue 5).

* ``mrz.py``: ICAO 9303 machine-readable zones and check digits.
* ``checks.py``: the deterministic checks, each a named pass/warn/fail with a reason; ``names.py``
  the accent- and order-insensitive name comparison; ``countries.py`` ISO and ICAO country codes.
* ``documents.py``: upload validation from the file's bytes (type and size).
* ``services.py``: submitting, staff decisions, expiry; the status and level rules are documented there.
* ``selectors.py``: the KYC level and status other apps read (re-exported by compliance/selectors.py).
* ``phone.py``: phone trust score and the optional AbstractAPI provider.
* ``views.py``: the access-checked document download; ``tasks.py`` the daily expiry task.
"""
