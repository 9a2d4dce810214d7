"""The process jupyter_client starts as the kernel when a zygote forks the real one.

``python -I -S kernel_relay.py SOCKET ENV_FILE RUN -f CONNECTION_FILE`` connects
to a zygote (:mod:`autograder.kernel_zygote`), hands it the kernel's command
line, the environment in ``ENV_FILE`` (JSON; ``-`` for this process's own), the
name of the run's folder and its own stdout and stderr, and then waits. It ends
when the kernel ends, with the kernel's exit status; killed (a deadline, a
shutdown, the grader's job ending), it takes the kernel with it, because the
zygote kills a kernel whose relay has gone. To jupyter_client it is a kernel
process like any other: polled, waited for, killed.

It starts in a few tens of milliseconds: ``-S`` skips ``site``, and only a
handful of standard modules are imported.
"""

import json
import os
import socket
import sys

UNAVAILABLE = 3   # the exit status when no zygote answers: the grader starts a kernel itself


def _die_with_parent() -> None:
    """Killed with the grading job that started it (PR_SET_PDEATHSIG, as the launcher does)."""
    try:
        import ctypes

        ctypes.CDLL(None).prctl(1, 9)
    except (OSError, AttributeError):
        pass


def main(argv: list[str]) -> int:
    socket_path, env_file, run, *kernel_argv = argv
    _die_with_parent()
    if env_file == "-":
        env = dict(os.environ)
    else:
        with open(env_file, encoding="utf-8") as handle:
            env = json.load(handle)
    request = json.dumps({"argv": kernel_argv, "env": env, "run": run}).encode() + b"\n"
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        conn.connect(socket_path)
        socket.send_fds(conn, [request], [1, 2])
    except OSError as error:
        print(f"kernel relay: no zygote at {socket_path} ({error})", file=sys.stderr)
        return UNAVAILABLE
    for line in conn.makefile("rb"):
        try:
            message = json.loads(line)
        except ValueError:
            continue
        if "error" in message:
            print(f"kernel relay: the zygote refused ({message['error']})", file=sys.stderr)
            return UNAVAILABLE
        if "exited" in message:
            status = int(message["exited"])
            return status if status >= 0 else 128 - status
    print("kernel relay: the zygote went away", file=sys.stderr)
    return UNAVAILABLE


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
