"""Static files that come from pinned Python packages instead of being copied into the repository.

Plotly's browser bundle ships inside the ``plotly`` package (``plotly/package_data/plotly.min.js``,
4.8 MB). This finder serves exactly that file as our own static file ``vendor/plotly/plotly.min.js``:
no CDN, no copy committed, and it upgrades with the pinned package. Only the files named in
``VENDORED_FILES`` are exposed; nothing else in those packages' folders becomes public.

It works wherever Django's finders are used: ``runserver`` in development, ``collectstatic`` (which
copies it into STATIC_ROOT for whitenoise in production) and whitenoise's ``WHITENOISE_USE_FINDERS``.
"""

import importlib.util
from pathlib import Path, PurePosixPath

from django.contrib.staticfiles.finders import BaseFinder
from django.core.checks import Error
from django.core.files.storage import FileSystemStorage

# Static path -> (package, path inside the package).
VENDORED_FILES: dict[str, tuple[str, str]] = {
    "vendor/plotly/plotly.min.js": ("plotly", "package_data/plotly.min.js"),
}


def _package_dir(package: str) -> Path | None:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def vendored_source(static_path: str) -> Path | None:
    """The file on disk behind one vendored static path, or None when it is not one of ours."""
    entry = VENDORED_FILES.get(static_path)
    if entry is None:
        return None
    package, inner = entry
    root = _package_dir(package)
    return None if root is None else root / inner


class VendoredPackageFinder(BaseFinder):
    """Finds the few files of ``VENDORED_FILES`` inside installed packages, and nothing else."""

    def check(self, **kwargs) -> list[Error]:
        errors = []
        for static_path, (package, inner) in VENDORED_FILES.items():
            source = vendored_source(static_path)
            if source is None or not source.is_file():
                errors.append(
                    Error(
                        f"The static file {static_path} should come from {package}/{inner}, which is missing.",
                        hint=f"Install the pinned '{package}' package (requirements.txt).",
                        id="valuetok.E101",
                    )
                )
        return errors

    def find(self, path: str, find_all: bool = False, **kwargs):
        # Django 5.2 renamed ``all`` to ``find_all``; accept the old name from older callers too.
        find_all = find_all or kwargs.get("all", False)
        source = vendored_source(str(PurePosixPath(path)))
        if source is None or not source.is_file():
            return []  # what Django's own finders answer for "not here", with or without find_all
        return [str(source)] if find_all else str(source)

    def list(self, ignore_patterns):
        for static_path in VENDORED_FILES:
            source = vendored_source(static_path)
            if source is None or not source.is_file():
                continue
            storage = FileSystemStorage(location=source.parent)
            # collectstatic and whitenoise put a storage's files under its ``prefix``.
            storage.prefix = str(PurePosixPath(static_path).parent)
            yield source.name, storage
