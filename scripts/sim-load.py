#!/usr/bin/env python3
"""Holds TLS connections open against a simulated accessory (scripts/bench-sim-load.sh).

usage: sim-load.py HOST:PORT ANCHORS SERVER_NAME IDLE SLOW READY_FILE

IDLE connections complete the TLS handshake (verified against ANCHORS for SERVER_NAME) and then
send nothing; SLOW ones complete it and then send a request's headers one byte a second (a
slowloris). When all are open, writes "held N slow M" to READY_FILE; then keeps them until killed,
rewriting READY_FILE every second with how many are still open.
"""
import asyncio
import ssl
import sys


async def main():
    addr, anchors, name, idle, slow, ready = sys.argv[1:7]
    host, port = addr.rsplit(":", 1)
    ctx = ssl.create_default_context(cafile=anchors)
    open_idle, open_slow = [], []
    sem = asyncio.Semaphore(64)  # handshakes in flight at once

    async def connect():
        async with sem:
            return await asyncio.wait_for(
                asyncio.open_connection(host, int(port), ssl=ctx, server_hostname=name), 30
            )

    async def one_idle():
        try:
            open_idle.append(await connect())
        except Exception as e:  # counted, not fatal: the figure is how many were held
            print(f"idle connection failed: {e!r}", file=sys.stderr)

    async def one_slow():
        try:
            r, w = await connect()
        except Exception as e:
            print(f"slow connection failed: {e!r}", file=sys.stderr)
            return
        open_slow.append((r, w))
        request = b"GET /v1/device HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 10000
        try:
            for byte in request:
                w.write(bytes([byte]))
                await w.drain()
                await asyncio.sleep(1)
        except Exception:
            pass
        finally:
            open_slow.remove((r, w))

    def alive(conns):
        return sum(1 for _, w in conns if not w.is_closing() and not w.transport.is_closing())

    await asyncio.gather(*(one_idle() for _ in range(int(idle))))
    slow_tasks = [asyncio.ensure_future(one_slow()) for _ in range(int(slow))]
    await asyncio.sleep(2)
    while True:
        with open(ready, "w") as f:
            f.write(f"held {alive(open_idle)} slow {len(open_slow)}\n")
        await asyncio.sleep(1)


asyncio.run(main())
