"""A real SMTP server for the integration tests (tests/common/mod.rs, SmtpServer).

Usage: python3 tests/smtp_sink.py PORT DIR [--hang-on N]

Listens on 127.0.0.1:PORT (0 picks a free port) with aiosmtpd and stores each
accepted message, exactly as received, as DIR/<arrival>-<random>.eml, preceded
by an `X-Envelope-Recipients:` line naming the SMTP envelope's RCPT TO. A file
is written under a temporary name and renamed, and the server answers 250 only
after that, so a message the client saw accepted is always complete on disk.
Prints `listening PORT` on stdout once the socket is bound.

With `--hang-on N` the Nth message (counted from 1 over the server's life, all
connections) is never answered: the server takes in its data, writes it —
with the same envelope line — to DIR/hanging (under a temporary name, then
renamed, so the file is complete once it exists) and then waits forever, like
a server that received a message but whose reply never reached the client.
That message is not stored as an accepted `.eml`. Every other message is
accepted as usual.
"""

import argparse
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
    def __init__(self, directory, hang_on=None):
        self.directory = directory
        self.hang_on = hang_on
        self.received = 0

    def write(self, envelope, path):
        partial = path + ".partial"
        with open(partial, "wb") as f:
            recipients = ", ".join(envelope.rcpt_tos)
            f.write(f"X-Envelope-Recipients: {recipients}\r\n".encode())
            f.write(envelope.original_content)
        os.rename(partial, path)

    async def handle_DATA(self, server, session, envelope):
        self.received += 1
        if self.received == self.hang_on:
            self.write(envelope, os.path.join(self.directory, "hanging"))
            await asyncio.Event().wait()
        name = f"{time.time_ns():020d}-{uuid.uuid4().hex}"
        self.write(envelope, os.path.join(self.directory, name + ".eml"))
        return "250 Message accepted for delivery"


async def main(port, directory, hang_on):
    os.makedirs(directory, exist_ok=True)
    loop = asyncio.get_running_loop()
    # One handler for all connections, so that messages are counted across them.
    sink = Sink(directory, hang_on)
    server = await loop.create_server(
        lambda: SMTP(sink, hostname="mla-test-smtp"),
        host="127.0.0.1",
        port=port,
        reuse_address=True,
    )
    bound = server.sockets[0].getsockname()[1]
    print(f"listening {bound}", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="A real SMTP server for the tests.")
    parser.add_argument("port", type=int)
    parser.add_argument("directory")
    parser.add_argument("--hang-on", type=int, metavar="N", default=None)
    args = parser.parse_args()
    asyncio.run(main(args.port, args.directory, args.hang_on))
