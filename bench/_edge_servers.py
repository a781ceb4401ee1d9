"""The edge app under the server layers ``make bench-edge`` compares it on (bench only):

    python -m bench._edge_servers uvicorn|granian-rsgi ORIGIN KEY_ID=PEM [KEY_ID=PEM ...]

``uvicorn``: uvicorn with httptools and uvloop, through its public ``uvicorn.Server``
(no pathsend there: bodies go through Python). ``granian-rsgi``: granian's native RSGI
interface, the same app behind a thin adapter turning its ASGI messages into RSGI
responses (``response_bytes``, ``response_file``). Prints the same listening line as
``frontgate edge`` and stops on SIGTERM.
"""

from __future__ import annotations

import asyncio
import signal
import sys
from pathlib import Path
from typing import Any

from frontgate.edge import EdgeApp, create_app
from frontgate.edge.server import bind


class RSGIEdge:
    """``app`` as an RSGI application (bench only: enough for GET of files)."""

    def __init__(self, app: EdgeApp) -> None:
        self.app = app

    async def __rsgi__(self, scope: Any, protocol: Any) -> None:
        client = scope.client.rpartition(":")
        asgi_scope = {
            "type": "http",
            "http_version": "1.1",
            "scheme": scope.scheme,
            "method": scope.method,
            "path": scope.path,
            "raw_path": scope.path.encode("latin-1"),
            "query_string": scope.query_string.encode("latin-1"),
            "headers": [
                (k.encode("latin-1"), v.encode("latin-1")) for k, v in scope.headers.items()
            ],
            "client": (client[0], int(client[2] or 0)),
            "extensions": {"http.response.pathsend": {}},
        }
        started: dict[str, Any] = {}

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            kind = message["type"]
            if kind == "http.response.start":
                started["status"] = message["status"]
                started["headers"] = [
                    (k.decode("latin-1"), v.decode("latin-1")) for k, v in message["headers"]
                ]
            elif kind == "http.response.pathsend":
                protocol.response_file(started["status"], started["headers"], message["path"])
            elif kind == "http.response.body":
                protocol.response_bytes(started["status"], started["headers"], message["body"])

        await self.app(asgi_scope, receive, send)  # type: ignore[arg-type]


def main(argv: list[str]) -> None:
    server, origin, *keys = argv
    app = create_app(
        origin, {k: Path(p).read_bytes() for k, p in (key.split("=", 1) for key in keys)}
    )
    sock = bind("127.0.0.1", 0)
    host, port = sock.getsockname()[:2]
    if server == "uvicorn":
        import uvicorn

        config = uvicorn.Config(
            app,
            host=host,
            port=port,
            http="httptools",
            loop="uvloop",
            lifespan="off",
            log_config=None,
            access_log=False,
            server_header=False,
        )
        uvi = uvicorn.Server(config)
        loop = asyncio.new_event_loop()

        async def announce() -> None:
            while not uvi.started:
                await asyncio.sleep(0.01)
            print(f"frontgate edge listening on http://{host}:{port}", flush=True)

        announcing = loop.create_task(announce())
        sock.close()
        loop.run_until_complete(uvi.serve())
        announcing.cancel()
        return
    from granian.constants import HTTPModes, Interfaces
    from granian.server.embed import Server

    rsgi = Server(
        RSGIEdge(app),
        address=host,
        port=port,
        interface=Interfaces.RSGI,
        http=HTTPModes.http1,
        websockets=False,
        log_enabled=False,
    )
    loop = asyncio.new_event_loop()
    loop.add_signal_handler(signal.SIGTERM, rsgi.stop)

    async def ready() -> None:
        await asyncio.sleep(0.5)
        print(f"frontgate edge listening on http://{host}:{port}", flush=True)

    announcing = loop.create_task(ready())
    loop.run_until_complete(rsgi.serve())
    announcing.cancel()
    sock.close()


if __name__ == "__main__":
    main(sys.argv[1:])
