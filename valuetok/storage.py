from django.core.files.storage import FileSystemStorage


class PrivateFileSystemStorage(FileSystemStorage):
    """Files that must never have a public URL (uploaded videos, identity documents).

    They are served only through views that check who is asking; asking this storage for a URL
    is a programming error, so it raises instead of quietly returning one under MEDIA_URL.
    """

    def url(self, name: str | None) -> str:
        raise PermissionError("private files have no public URL; serve them through an access-checked view")


def private_storage():
    """The private storage, looked up when used (a callable, so settings can change it in tests)."""
    from django.core.files.storage import storages

    return storages["private"]
