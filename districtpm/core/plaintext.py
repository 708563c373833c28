"""Free text made safe to put in a document or a header: the characters XML 1.0, iCalendar and
mail headers refuse are replaced, so text typed into the product can never break or extend one."""

from __future__ import annotations

import re
from typing import Any

# C0 controls but tab, newline and carriage return; DEL and the C1 controls; lone surrogates and
# the two non-characters. XML 1.0 forbids the C0 ones and U+FFFE/U+FFFF outright, RFC 5545
# forbids every control but tab in TEXT, and PowerPoint refuses a part that holds any of them.
_REFUSED = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_LINE_BREAKS = re.compile("\r\n?|[\u2028\u2029\x85]")


def clean(text: Any) -> str:
    """The text with refused characters made spaces and every line break a plain newline."""
    if text is None:
        return ""
    text = _LINE_BREAKS.sub("\n", str(text))
    return _REFUSED.sub(" ", text)


def without_controls(text: str) -> str:
    """The text with refused characters made spaces; tabs and line breaks kept as they are."""
    return _REFUSED.sub(" ", text)


def one_line(text: Any) -> str:
    """The text on one line, as a mail subject or a file name must be: breaks become spaces."""
    return " ".join(clean(text).split())
