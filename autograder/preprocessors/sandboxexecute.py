"""nbgrader's Execute with the limits a class needs: output budget and a whole-notebook deadline.

- Stream output beyond ``max_stream_bytes`` per cell is dropped as it arrives,
  so a notebook that prints 50 MB costs neither memory nor gradebook space.
- ``notebook_timeout`` seconds after the kernel started, the kernel is killed;
  the grader reports "the notebook ran longer than N s in total".
- nbgrader's per-cell ``timeout`` still applies: the kernel is interrupted and
  the cell gets a ``CellTimeoutError``; a kernel that ignores the interrupt
  runs into the whole-notebook deadline.
- With ``judge_setup`` (the course's setup cell), graded test cells do not run
  in the student's kernel: :class:`autograder.judge.Judge` runs them in this
  process, calling the student's functions through the kernel's agent, and
  writes their outputs where nbgrader expects them.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import threading
import time

from nbclient.exceptions import DeadKernelError
from nbclient.util import run_sync
from traitlets import Bool, Float, Integer, Unicode

from ..cellmeta import is_test_cell
from .trackedexecute import TrackedExecute

__all__ = ["SandboxExecute"]

TRUNCATED = "\n... output truncated by the grader ...\n"
MARKER = "AUTOGRADER-"  # the prefix of the lines guard.py and integrity.py print


class SandboxExecute(TrackedExecute):
    """Execute cells like nbgrader, within an output budget and a whole-notebook deadline."""

    max_stream_bytes = Integer(
        200_000, help="Characters of stdout/stderr kept per cell; the rest is dropped."
    )
    notebook_timeout = Float(
        0.0, help="Seconds the whole notebook may run (0: no limit); the kernel is then killed."
    )
    deadline_hit = Bool(False, help="True once the whole-notebook deadline killed the kernel.")
    started_at = Float(0.0, help="time.monotonic() when the kernel became ready.")

    judge_setup = Unicode(
        "", help="The course's setup cell. When given, graded test cells run in the judge "
                 "(autograder.judge), not in the student's kernel."
    )

    def preprocess(self, nb, resources=None, km=None):
        self._stream_chars: dict[int, int] = {}
        self.deadline_hit = False
        self._watchdog = None
        self._judge = None
        try:
            return super().preprocess(nb, resources, km=km)
        finally:
            if self._watchdog is not None:
                self._watchdog.cancel()
            if self._judge is not None:
                close = getattr(self._judge.channel, "close", None)
                if close is not None:
                    close()
                self._judge_client.stop_channels()
            # nbclient leaves a kernel it did not start running: stop it here. It is
            # killed at once and waited for (jupyter_client would poll every 0.1 s).
            if km is not None and km.has_kernel:
                process = getattr(km.provisioner, "process", None)
                if process is not None and process.poll() is None:
                    try:
                        run_sync(km.provisioner.kill)()   # its process group
                    except Exception:  # noqa: BLE001 (the process alone, then)
                        process.kill()
                    process.wait(timeout=10)
                try:   # the kernel is gone: what is left is its connection file and ports
                    run_sync(km.shutdown_kernel)(now=True)
                except Exception:  # noqa: BLE001 (a kernel dead before its channels opened)
                    pass

    kernel_log = Unicode(
        "", help="File that receives the kernel process's own output (default: discarded)."
    )

    async def async_start_new_kernel(self, **kwargs):
        # The kernel's own process output (start-up and shutdown chatter) is not the
        # student's: what student code prints reaches the notebook through the kernel.
        # It goes to a log, which says why a kernel failed to start.
        sink = open(self.kernel_log, "ab") if self.kernel_log else subprocess.DEVNULL  # noqa: SIM115
        kwargs.setdefault("stdout", sink)
        kwargs.setdefault("stderr", sink)
        try:
            await super().async_start_new_kernel(**kwargs)
        finally:
            if sink is not subprocess.DEVNULL:
                sink.close()  # the kernel holds its own copy of the descriptor

    async def async_start_new_kernel_client(self):
        client = await super().async_start_new_kernel_client()
        self.started_at = time.monotonic()
        if self.notebook_timeout > 0:
            pid = getattr(getattr(self.km, "provisioner", None), "pid", None)
            if pid:
                self._watchdog = threading.Timer(self.notebook_timeout, self._kill, args=(pid,))
                self._watchdog.daemon = True
                self._watchdog.start()
        return client

    async def async_execute_cell(self, cell, cell_index, execution_count=None,
                                 store_history=True):
        if self.judge_setup and is_test_cell(cell) and cell.source.strip():
            from ..judge import KernelDied

            judge = self._judge or self._start_judge()
            done, box = threading.Event(), {}

            def work():
                try:
                    box["outputs"] = judge.run_cell(cell.source, float(self.timeout or 60))
                except BaseException as error:  # noqa: BLE001 (handed to the event loop)
                    box["error"] = error
                finally:
                    done.set()

            # A thread of our own, not the event loop's executor: in a forked worker
            # the loop may be the parent's, its executor's threads gone.
            threading.Thread(target=work, daemon=True).start()
            while not done.is_set():
                await asyncio.sleep(0.005)
            if isinstance(box.get("error"), KernelDied):
                raise DeadKernelError(str(box["error"])) from None
            if "error" in box:
                raise box["error"]
            cell.outputs = box["outputs"]
            await self._async_drain_iopub()
            if any(o.get("ename") == "CellTimeoutError" for o in cell.outputs):
                await self._async_wait_until_idle()
            return cell
        return await super().async_execute_cell(cell, cell_index, execution_count,
                                                store_history)

    def _start_judge(self):
        from jupyter_client.blocking import BlockingKernelClient

        from ..judge import Judge, KernelChannel, SocketChannel

        info = self.km.get_connection_info()
        client = BlockingKernelClient()
        client.load_connection_info(info)
        client.start_channels(shell=True, iopub=False, stdin=False, hb=False)

        def interrupt():
            # A message on the control channel reaches a kernel in its own PID namespace.
            client.control_channel.send(client.session.msg("interrupt_request", {}))

        process = getattr(getattr(self.km, "provisioner", None), "process", None)

        def alive():
            return process is None or process.poll() is None

        channel = None
        connection_file = getattr(self.km, "connection_file", "")
        if connection_file:
            path = os.path.join(os.path.dirname(connection_file), "judge.sock")
            try:
                channel = SocketChannel(path, info["key"], interrupt, alive)
            except OSError:
                channel = None  # an agent without its socket still answers on the shell
        self._judge_client = client
        self._judge = Judge(self.judge_setup, channel or KernelChannel(client, interrupt, alive))
        return self._judge

    async def _async_drain_iopub(self) -> None:
        """Discard the status messages the judge's calls left on our IOPub channel.

        Each call is a silent request to the kernel, and the kernel announces
        busy and idle for it to every client: thousands of messages after a
        large test, which would delay the next cell past nbclient's wait for
        its output.
        """
        while True:
            try:
                await self.kc.get_iopub_msg(timeout=0)
            except Exception:  # noqa: BLE001 (queue.Empty: nothing left)
                return

    async def _async_wait_until_idle(self, seconds: float = 10.0) -> None:
        """After an interrupted call: let the kernel finish what it was doing."""
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            try:
                reply = await self.kc.kernel_info(reply=True, timeout=1)
            except Exception:  # noqa: BLE001 (still busy)
                await asyncio.sleep(0.2)
                continue
            if reply:
                return

    # nbclient binds the synchronous versions to its own coroutines; rebind them to ours.
    start_new_kernel = run_sync(async_start_new_kernel)
    start_new_kernel_client = run_sync(async_start_new_kernel_client)
    execute_cell = run_sync(async_execute_cell)

    def _kill(self, pid: int) -> None:
        self.deadline_hit = True
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    def output(self, outs, msg, display_id, cell_index):
        if msg["msg_type"] == "stream":
            used = self._stream_chars.get(cell_index, 0)
            text = msg["content"].get("text", "")
            room = self.max_stream_bytes - used
            if len(text) > room:
                # The grader's own marker lines always get through: without them a
                # passing test cell that printed a lot would count as cut short.
                markers = "".join(line for line in text[max(room, 0):].splitlines(True)
                                  if line.startswith(MARKER))
                kept = text[:max(room, 0)] + (TRUNCATED if used < self.max_stream_bytes else "")
                if not kept and not markers:
                    return None
                msg = dict(msg, content=dict(msg["content"], text=kept + markers))
                used = self.max_stream_bytes
            else:
                used += len(text)
            self._stream_chars[cell_index] = used
        return super().output(outs, msg, display_id, cell_index)
