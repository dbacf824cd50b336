"""Domain errors of the moderation pipeline: each carries a stable code that becomes the
evaluation's status and a message a person can read."""


class MediaError(Exception):
    """The media could not be fetched or decoded. ``code`` is stable (stored, shown in the API)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class FetchRefused(MediaError):
    """A URL was refused before or while fetching it (scheme, address, size, redirects, type)."""


class TranscriptionUnavailable(Exception):
    """The configured speech-to-text engine cannot run (missing package or checkpoint)."""
