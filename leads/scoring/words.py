"""How the engine words what it says (factor sentences, the backtest's reasons,
refused pins): English as written here until the Django side installs the active
language's translation and decimal mark (leads.models.scoring calls install()).
The engine itself imports nothing of Django (tests/test_scoring_engine.py); the
messages are marked with `gettext` so makemessages finds them.
"""

from collections.abc import Callable


def _same(message: str) -> str:
    return message


_translate: Callable[[str], str] = _same
_decimal_mark: Callable[[], str] = lambda: "."  # noqa: E731


def install(*, translate: Callable[[str], str], decimal_mark: Callable[[], str]):
    """Word the engine's messages with `translate` (e.g. Django's gettext) and
    write decimals with `decimal_mark()` (the active language's)."""
    global _translate, _decimal_mark
    _translate, _decimal_mark = translate, decimal_mark


def gettext(message: str) -> str:
    """`message` in the installed translation (the active language)."""
    return _translate(message)


def decimal_mark() -> str:
    return _decimal_mark()
