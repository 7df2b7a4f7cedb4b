"""The worker side of the engine: the only place torch and diffusers are imported.

The editor and the service never import this package (an import-linter contract); they start
`python -m studio.engine.runtime.worker` as a child process and talk to it over pipes.
"""
