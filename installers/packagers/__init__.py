"""The parts of installers/build.py: the lock (lock.py) and each platform's package (linux.py,
windows.py, macos.py). Standard library only, like build.py."""


class BuildError(Exception):
    """A build that cannot go on, said in one sentence."""
