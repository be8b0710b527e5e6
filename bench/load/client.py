"""The simulated users: one browser session each, over a connection of their own (HTTP/1.1,
one request at a time)."""

from __future__ import annotations

import asyncio
import random
import re
from dataclasses import dataclass, field
from urllib.parse import urlencode

from bench.load import Unmeasurable
from toolkit.cli.demo import demo_data

HOST = "127.0.0.1"
CSRF_INPUT = re.compile(rb'<input[^>]*name="csrf_token"[^>]*>')
VALUE = re.compile(rb'value="([^"]*)"')
VERSION_INPUT = re.compile(rb'<input[^>]*name="([a-z0-9_]+)__version"[^>]*>')


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    cookies: list[str]
    body: bytes


class IdleClosed(ConnectionError):
    """A reused connection was closed by the server before any byte of the response."""


class Connection:
    """A user's connection: requests in turn, no pipelining; kept alive while the server lets
    it (a request that says "Connection: close" gets a new one next time)."""

    def __init__(self, port: int):
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.reconnects = 0

    async def request(self, head: bytes, body: bytes) -> Response:
        for _ in range(3):
            reused = self.writer is not None
            if not reused:
                self.reader, self.writer = await asyncio.open_connection(HOST, self.port)
            try:
                return await self._exchange(head, body, reused)
            except IdleClosed:
                self.close()
                self.reconnects += 1
            except BaseException:
                self.close()
                raise
        raise ConnectionError("the server closed three connections in a row")

    async def _exchange(self, head: bytes, body: bytes, reused: bool) -> Response:
        self.writer.write(head + body)
        try:
            await self.writer.drain()
            raw = await self.reader.readuntil(b"\r\n\r\n")
        except asyncio.IncompleteReadError as error:
            if reused and not error.partial:
                raise IdleClosed from None
            raise ConnectionError("connection closed in the middle of a response") from None
        except ConnectionResetError:
            if reused:
                raise IdleClosed from None
            raise
        lines = raw[:-4].decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers, cookies = {}, []
        for line in lines[1:]:
            name, _, value = line.partition(":")
            name, value = name.strip().lower(), value.strip()
            if name == "set-cookie":
                cookies.append(value)
            else:
                headers[name] = value
        if status in (204, 304) or status < 200:
            data = b""
        elif "content-length" in headers:
            data = await self.reader.readexactly(int(headers["content-length"]))
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            data = await self._chunked()
        else:
            data = await self.reader.read()
            headers["connection"] = "close"
        if headers.get("connection", "").lower() == "close":
            self.close()
        return Response(status, headers, cookies, data)

    async def _chunked(self) -> bytes:
        parts = []
        while True:
            size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                await self.reader.readuntil(b"\r\n")  # no trailers are sent
                return b"".join(parts)
            parts.append(await self.reader.readexactly(size))
            await self.reader.readexactly(2)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


@dataclass
class Target:
    """An assessment users see: its id, its areas, and the level questions of each area with
    their values as the form sends them."""

    id: int
    questionnaire: str
    areas: tuple[str, ...]
    levels: dict[str, list[tuple[str, tuple[str, ...]]]]  # area -> [(question id, values)]


@dataclass
class User:
    number: int
    email: str
    network: bool
    mine: Target | None  # the editable assessment of a city user
    pdf: int | None  # the approved asus-quick assessment whose PDF a city user downloads
    port: int
    rng: random.Random
    cookies: dict[str, str] = field(default_factory=dict)
    csrf: str = ""
    seen_area: tuple[Target, str] | None = None
    versions: dict[str, str] = field(default_factory=dict)  # as the last area page showed
    connection: Connection = field(init=False)
    # False: "Connection: close" on every request, a new connection each time, as the nginx of
    # DEPLOY.md proxies (HTTP/1.0, no upstream keepalive); True: one kept-alive connection.
    keep_alive = False

    def __post_init__(self):
        self.connection = Connection(self.port)

    async def send(
        self,
        method: str,
        path: str,
        *,
        form: dict | None = None,
        headers: dict | None = None,
        cookies: bool = True,
        request_id: str = "",
    ) -> Response:
        body = urlencode(form).encode() if form is not None else b""
        lines = [f"{method} {path} HTTP/1.1", f"Host: {HOST}:{self.port}"]
        if not self.keep_alive:
            lines.append("Connection: close")
        if cookies and self.cookies:
            lines.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
        if request_id:
            lines.append(f"X-Request-ID: {request_id}")
        for name, value in (headers or {}).items():
            lines.append(f"{name}: {value}")
        if form is not None:
            lines.append("Content-Type: application/x-www-form-urlencoded")
            lines.append(f"Content-Length: {len(body)}")
        response = await self.connection.request(
            ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"), body
        )
        for cookie in response.cookies:
            name, _, rest = cookie.partition("=")
            value, _, attributes = rest.partition(";")
            expired = "max-age=0" in attributes.lower() or "1970" in attributes
            if expired or not value:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value
        return response

    async def sign_in(self) -> None:
        page = await self.send("GET", "/auth/login")
        token = csrf_token(page.body)
        form = {"email": self.email, "password": demo_data().password, "csrf_token": token}
        response = await self.send("POST", "/auth/login", form=form)
        if response.status != 302 or "/auth/login" in response.headers.get("location", ""):
            raise Unmeasurable(f"{self.email} could not sign in: {response.status}")


def csrf_token(page: bytes) -> str:
    found = CSRF_INPUT.search(page)
    if found is None:
        raise Unmeasurable("no CSRF token in the page")
    return VALUE.search(found.group(0)).group(1).decode()


def area_versions(page: bytes) -> dict[str, str]:
    versions = {}
    for found in VERSION_INPUT.finditer(page):
        value = VALUE.search(found.group(0))
        versions[found.group(1).decode()] = value.group(1).decode() if value else "0"
    return versions
