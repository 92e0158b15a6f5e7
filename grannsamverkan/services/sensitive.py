"""Violence in close relationships: found in a tip's text, whatever its category, so the tip
goes to police only (docs/privacy-and-routing.md).

A neighbour who writes "Våld i nära relation: mannen i huset bredvid slår sin fru" as
``suspicious_activity`` must not reach nine neighbours, and the woman's home must not become
the street's talk; she, or the neighbour, gets the help lines instead. The list errs on the
side of the person at risk: a tip that mentions misshandel, hot (threats) or våld goes to
police only, in any category, whoever it is about; police still read and act on it.

The text is normalised as masking does it (services/privacy.py: NFKC, one kind of dash,
single spaces), then lower-cased, and matched word by word.
"""

from __future__ import annotations

import re

from grannsamverkan.services.privacy import normalise

# Who a person may hit at home: "slår sin fru", "misshandlar sin sambo", "hotar sina barn".
_RELATIONS = (
    r"fru|hustru|man|make|maka|sambo|särbo|flickvän|pojkvän|partner|pojkvännen|flickvännen|"
    r"barn|dotter|döttrar|son|söner|mamma|pappa|mor|far|mamman|pappan|fästmö|fästman|ex|"
    r"exfru|exman|expojkvän|exflickvän|kvinna|tjej|kille"
)
_HITTING = (
    r"slår|slog|slagit|sparkar|sparkade|stryper|ströp|knuffar|knuffade|misshandlar|"
    r"misshandlade|hotar|hotade|våldtar|våldtog|skadar|skadade|skriker åt|skrek åt"
)
TERMS = (
    # What the violence is called.
    r"våld i (?:en )?nära relation(?:er(?:na)?)?",
    r"nära relation",
    r"(?:relations|partner|familje|heders|hem|kvinno|barn)våld\w*",
    r"våld mot (?:kvinnor|sin|sina|hennes|hans|barn\w*)",
    r"(?:kvinno|hustru|fru|barn)misshandel\w*",
    r"hedersrelatera\w*",
    r"kvinnofrid\w*",
    # Violence and threats in general (see the module: any of them routes to police only).
    r"misshand\w*",
    r"våld\w*",
    r"hot(?:a|ar|ade|at|en|et|full\w*|else|elser|elserna|fulla)?",
    r"(?:mord|döds|dödshot)\w*hot\w*",
    # Someone hitting their own.
    rf"(?:{_HITTING}) (?:sin|sina|hennes|hans|deras) (?:{_RELATIONS})\w*",
)
_PATTERN = re.compile(r"(?<!\w)(?:" + "|".join(TERMS) + r")(?!\w)", re.IGNORECASE)


def concerns_close_relationship_violence(*texts: str | None) -> bool:
    """Does any of the texts (a tip's description, its vehicle description) speak of
    violence, threats or abuse (TERMS)?"""
    for text in texts:
        if text and _PATTERN.search(normalise(text).text.casefold()):
            return True
    return False
