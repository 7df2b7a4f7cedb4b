"""The studio's core: projects, recipes, settings; no Qt, no torch."""


def studio_version() -> str:
    """This studio's version, as installed (a checkout run without installing it: pyproject's 0.1.0)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("studio")
    except PackageNotFoundError:
        return "0.1.0"
