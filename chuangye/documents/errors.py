"""The one error type of this app: a refused request whose message is for the user (Chinese)."""


class DocumentError(ValueError):
    """Bad input or a refused write; ``str(exc)`` is shown to the user as is."""
