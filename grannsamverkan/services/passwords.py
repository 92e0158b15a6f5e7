"""Password strength: every password an account gets is checked here, with zxcvbn.

zxcvbn estimates how many guesses a password takes from common passwords, words, names,
keyboard patterns, sequences, repeats and dates, and from what else it is told about the
person (their e-mail address and name), so `1234567890`, ten spaces and one's own e-mail
address are refused however long they are.
"""

from __future__ import annotations

import re
import threading

from grannsamverkan.errors import N_, Invalid

# zxcvbn's 0–4 scale; 3 is about 10^8 guesses: out of reach online, and slow to reach
# offline against the slow hash the passwords are stored with.
MIN_SCORE = 3
# zxcvbn refuses longer input (its matching grows fast with length).
_WINDOW = 72
# zxcvbn keeps the user inputs in a module-level dictionary between building and matching,
# so two checks at once in one process could see each other's e-mail and name.
_ZXCVBN_LOCK = threading.Lock()
_WORD_SEPARATORS = re.compile(r"[\s@._+\-]+")


def _personal_words(email: str, name: str) -> list[str]:
    """The e-mail and name whole, and the words of the name and of the e-mail's local part
    ('anna.berg@example.se' -> anna, berg, annaberg). The domain is the provider's, not the
    person's (and the demo accounts' password is made of their domain's words)."""
    local_part = email.rpartition("@")[0]
    words = [email, name, local_part]
    for phrase in (local_part, name):
        parts = _WORD_SEPARATORS.split(phrase)
        words += [*parts, "".join(parts)]  # 'annaberg' too
    return list(dict.fromkeys(word.lower() for word in words if len(word) >= 3))


def _score(password: str, personal: list[str]) -> tuple[int, str]:
    """The best score of the password's first and last 72 characters, and zxcvbn's warning.

    A password is at least as hard to guess as any part of it, so a long one with a strong
    end is strong even when it starts weakly."""
    # Imported here: zxcvbn's word lists are ~12 MiB resident, and a process that never sets
    # a password (a push worker, an API worker serving reads) need not hold them.
    from zxcvbn import zxcvbn

    best, warning = -1, ""
    for part in dict.fromkeys((password[:_WINDOW], password[-_WINDOW:])):
        with _ZXCVBN_LOCK:
            result = zxcvbn(part, user_inputs=personal)
        if result["score"] > best:
            best, warning = result["score"], result["feedback"]["warning"]
    return best, warning


def check_password_strength(password: str, *, email: str, name: str) -> None:
    """Refuse (422 on `password`) a password that is easy to guess for this person."""
    score, warning = _score(password, _personal_words(email, name))
    if score >= MIN_SCORE:
        return
    if warning:  # zxcvbn's own reason, in English
        advice = N_(
            "This password is too easy to guess. %(reason)s Use a few uncommon words or a "
            "longer phrase, and not your e-mail address or name."
        ) % {"reason": warning}
    else:
        advice = N_(
            "This password is too easy to guess. Use a few uncommon words or a longer phrase, "
            "and not your e-mail address or name."
        )
    raise Invalid("password", advice)
