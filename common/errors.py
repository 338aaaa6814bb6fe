"""The ways a run can end that are not bugs. Helpers raise these; only the command-line layer
(cli.run_main) turns one into a line on stderr and an exit status, so a notebook that calls a
script's functions gets an exception, not a closed kernel."""


class RunError(Exception):
    """A problem worth one line to the user; `status` is the exit status it deserves."""
    status = 1


class BadInput(RunError):
    """A flag, file or folder that cannot be used: nothing was computed or written."""
    status = 2


class Diverged(RunError):
    """A loss or a weight is no longer a finite number; the last good checkpoint is kept."""


class Interrupted(RunError):
    """Ctrl-C, SIGTERM or SIGHUP: a checkpoint was saved, the run can be resumed."""

    def __init__(self, message: str, signum: int):
        super().__init__(message)
        self.status = 128 + signum
