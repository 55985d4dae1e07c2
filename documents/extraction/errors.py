"""Error and warning codes of text extraction, their messages, and the error.

Codes are short and stable (they cross the process boundary as JSON); messages
are translated when asked for, so they follow the active language.
"""

from __future__ import annotations

__all__ = [
    "ERROR_CODES",
    "WARNING_NO_TEXT",
    "WARNING_PAGE_ERRORS",
    "WARNING_TEXT_TRUNCATED",
    "ExtractionError",
    "message_for",
    "warning_message",
]

# Warning codes carried in ExtractionResult.warnings.
WARNING_TEXT_TRUNCATED = "text_truncated"
WARNING_NO_TEXT = "no_text"
WARNING_PAGE_ERRORS = "page_errors"

ERROR_CODES = (
    "too_large",
    "empty",
    "unsupported_type",
    "type_mismatch",
    "corrupt",
    "encrypted",
    "bomb",
    "timeout",
    "macro",
)


def message_for(code: str) -> str:
    """The translated, user-facing message for an error ``code``.

    Translated at call time, so the text follows the active language; the
    parent process uses this to re-translate errors reported by the child.
    """
    from django.utils.translation import gettext as _

    messages = {
        "too_large": _(
            "The file is too large to process. Reduce its size or split it, "
            "then upload it again."
        ),
        "empty": _("The file is empty."),
        "unsupported_type": _(
            "Only Word (.docx) and PDF files are supported. Open legacy Word "
            "(.doc) files in Word and save them as .docx first."
        ),
        "type_mismatch": _(
            "The file's contents do not match its extension. Upload a genuine "
            ".docx or .pdf file."
        ),
        "corrupt": _("The file is damaged or not a valid .docx or .pdf file."),
        "encrypted": _(
            "The file is encrypted; remove the password and upload it again."
        ),
        "bomb": _(
            "The file expands to an unreasonable size when decompressed and "
            "was rejected."
        ),
        "timeout": _("Reading the file took too long and was stopped."),
        "macro": _(
            "Macro-enabled Word files are not accepted. Save the document as "
            "a plain .docx without macros and upload it again."
        ),
    }
    return messages.get(code) or _("The file could not be read.")


def warning_message(code: str) -> str:
    """Translated description of a warning code from ExtractionResult.warnings."""
    from django.utils.translation import gettext as _

    messages = {
        WARNING_TEXT_TRUNCATED: _("The text was truncated because it is very long."),
        WARNING_NO_TEXT: _(
            "No text was found in the file (is it a scanned PDF without a text layer?)."
        ),
        WARNING_PAGE_ERRORS: _("The text of some pages could not be read."),
    }
    return messages.get(code, code)


class ExtractionError(Exception):
    """A file that cannot be read safely.

    ``code`` is one of :data:`ERROR_CODES`; ``message`` is a translated,
    user-facing reason (defaults to :func:`message_for`).
    """

    def __init__(self, code: str, message: str | None = None):
        self.code = code
        self.message = message if message is not None else message_for(code)
        super().__init__(self.message)

    def __repr__(self) -> str:
        return f"ExtractionError({self.code!r}, {self.message!r})"
