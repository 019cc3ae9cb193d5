"""A real SMTP server for the integration tests (tests/common/mod.rs, SmtpServer).

Usage: python3 tests/smtp_sink.py PORT DIR

Listens on 127.0.0.1:PORT (0 picks a free port) with aiosmtpd and stores each
accepted message, exactly as received, as DIR/<arrival>-<random>.eml, preceded
by an `X-Envelope-Recipients:` line naming the SMTP envelope's RCPT TO. A file
is written under a temporary name and renamed, and the server answers 250 only
after that, so a message the client saw accepted is always complete on disk.
Prints `listening PORT` on stdout once the socket is bound.
"""

import asyncio
import os
import sys
import time
import uuid

try:
    from aiosmtpd.smtp import SMTP
except ImportError:
    sys.stderr.write(
        "aiosmtpd is not installed: run scripts/test, or python3 -m pip install aiosmtpd\n"
    )
    sys.exit(3)


class Sink:
    def __init__(self, directory):
        self.directory = directory

    async def handle_DATA(self, server, session, envelope):
        name = f"{time.time_ns():020d}-{uuid.uuid4().hex}"
        partial = os.path.join(self.directory, name + ".partial")
        with open(partial, "wb") as f:
            recipients = ", ".join(envelope.rcpt_tos)
            f.write(f"X-Envelope-Recipients: {recipients}\r\n".encode())
            f.write(envelope.original_content)
        os.rename(partial, os.path.join(self.directory, name + ".eml"))
        return "250 Message accepted for delivery"


async def main(port, directory):
    os.makedirs(directory, exist_ok=True)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(Sink(directory), hostname="mla-test-smtp"),
        host="127.0.0.1",
        port=port,
        reuse_address=True,
    )
    bound = server.sockets[0].getsockname()[1]
    print(f"listening {bound}", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), sys.argv[2]))
