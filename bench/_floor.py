"""The floor for the fan-out benchmark: a plain asyncio websocket broadcast, nothing else.

Run by bench/fanout.py as `python -m bench._floor PORT LOG`. Readers connect to any path; one
control socket at `/control` asks for a round with `go <count> <interval_s> <size>`, and the
server then broadcasts `count` messages shaped like Staffroom's (`post.created`, a post id and
`size` characters of HTML), one every `interval_s` seconds on an open-loop schedule, logging
when each was due and when it was handed to the sockets. It answers `done` when the round ends.
"""

import asyncio
import json
import sys
import time
from collections.abc import AsyncIterator

from websockets.asyncio.server import ServerConnection, broadcast, serve

readers: set[ServerConnection] = set()


async def paced(
    count: int, interval: float, size: int, first_id: int
) -> AsyncIterator[tuple[int, float, str]]:
    """A round's messages on an open-loop schedule: (post id, when it was due, `size`
    characters of HTML), each yielded when it falls due, whatever the one before cost."""
    html = "<article>" + "x" * max(0, size - 20) + "</article>"
    started = time.time() + 0.2
    for number in range(count):
        due = started + number * interval
        await asyncio.sleep(max(0.0, due - time.time()))
        yield first_id + number, due, html


async def _round(log, count: int, interval: float, size: int, first_id: int) -> None:
    async for post_id, due, html in paced(count, interval, size, first_id):
        message = json.dumps({"type": "post.created", "post_id": post_id, "html": html})
        sent = time.time()
        broadcast(readers, message)
        log.write(f"due {post_id} {due:.6f}\ncommit {post_id} {sent:.6f}\n")


async def main(port: int, log_path: str) -> None:
    log = open(log_path, "a", buffering=1)  # noqa: SIM115
    rounds = 0

    async def handler(connection: ServerConnection) -> None:
        nonlocal rounds
        if connection.request.path == "/control":
            async for text in connection:
                _, count, interval, size = str(text).split()
                rounds += 1
                await _round(log, int(count), float(interval), int(size), rounds * 100_000)
                await connection.send("done")
            return
        readers.add(connection)
        try:
            await connection.wait_closed()
        finally:
            readers.discard(connection)

    async with serve(handler, "127.0.0.1", port, compression=None, max_queue=None):
        await asyncio.Future()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), sys.argv[2]))
