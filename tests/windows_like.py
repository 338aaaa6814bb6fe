"""Run a script in a Python whose standard library looks like Windows' to it:

    python tests/windows_like.py SCRIPT [ARGS...]

Windows' `signal` has no SIGHUP, SIGQUIT, SIGUSR1 ... and its `os` no fork, getuid, uname,
killpg ...; the names are removed before the script runs, so that the project's code fails
here where it would fail there. The packages are imported first, with every name: they
choose their own code for each platform (numpy reads os.uname on Linux, not on Windows).
Ctrl-C still arrives as SIGINT, as on Windows. Set PYTHONIOENCODING=cp1252:strict as well
for a legacy Windows console's code page.
"""

import os
import runpy
import signal
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import imageio.v3  # the packages, as the platform they run on has them
import matplotlib.pyplot
import numpy
import PIL.Image

import common.quiet_tensorflow  # TensorFlow and Keras

POSIX_SIGNALS = ("SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2", "SIGALRM", "SIGPIPE", "SIGCHLD",
                 "SIGCONT", "SIGSTOP", "SIGTSTP", "SIGTTIN", "SIGTTOU", "SIGWINCH", "SIGKILL")
POSIX_OS = ("fork", "forkpty", "getuid", "geteuid", "getgid", "getegid", "getppid", "getpgid",
            "setsid", "killpg", "uname", "sync", "getloadavg", "nice", "chown", "lchown",
            "mkfifo", "pipe2")

for name in POSIX_SIGNALS:
    if hasattr(signal, name):
        delattr(signal, name)
for name in POSIX_OS:
    if hasattr(os, name):
        delattr(os, name)

if __name__ == "__main__":
    script = os.path.abspath(sys.argv[1])
    sys.argv = [script, *sys.argv[2:]]
    sys.path[0] = os.path.dirname(script)  # as `python SCRIPT` has it
    runpy.run_path(script, run_name="__main__")
