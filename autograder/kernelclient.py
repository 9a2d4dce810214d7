"""The grader's kernel client: ready as soon as the kernel answers, without a fixed wait.

jupyter_client's ``wait_for_ready`` ends by reading IOPub until it has been
quiet for 0.2 s, to drop the kernel's start-up messages. nbclient needs no
such flush (it keeps only the messages whose parent is the request it sent),
so for the grader it is 0.2 s of idle waiting per notebook: with kernels
forked by a zygote, a third of a kernel's start.
"""

from __future__ import annotations

import time
from queue import Empty

from jupyter_client.asynchronous import AsyncKernelClient

__all__ = ["ReadyClient"]


class ReadyClient(AsyncKernelClient):
    """An ``AsyncKernelClient`` whose ``wait_for_ready`` returns once shell and IOPub answer."""

    async def wait_for_ready(self, timeout: float | None = None) -> None:
        deadline = time.monotonic() + (float("inf") if timeout is None else timeout)
        while True:
            self.kernel_info()
            try:
                reply = await self.shell_channel.get_msg(timeout=1)
            except Empty:
                reply = None
            if reply is not None and reply["msg_type"] == "kernel_info_reply":
                try:
                    # IOPub is connected once it carries the status of our request.
                    await self.iopub_channel.get_msg(timeout=0.2)
                except Empty:
                    pass
                else:
                    self._handle_kernel_info_reply(reply)
                    return
            if not await self._async_is_alive():
                raise RuntimeError("Kernel died before replying to kernel_info")
            if time.monotonic() > deadline:
                raise RuntimeError(f"Kernel didn't respond in {timeout:.0f} seconds")
