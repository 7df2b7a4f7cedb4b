"""One pipeline adapter per model family, each a module named after the family's id (runtime.base.Adapter)."""
