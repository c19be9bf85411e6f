#!/usr/bin/env python3
"""Smoke tests of the release binary, from outside, the way people run it.

1. Production shape: PostgreSQL, Redis and a real SMTP sink (an SMTP server in this
   script). register -> the verification email arrives over SMTP -> verifyEmail -> login
   -> me; the catalogue answers 10 sets and 151 competencies.
2. Embedded default: `lsscp` with nothing configured, in an empty directory, as the
   README's `cargo run --release` runs it: GraphiQL on port 8000 within a minute, the
   catalogue, and registration writing a verification email into ./var/outbox/.

Standard library only.
"""
import asyncio
import json
import os
import quopri
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

BINARY = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "target/release/lsscp")
PG_ADMIN = "postgres://postgres@127.0.0.1:5432/postgres"
REDIS = "redis://127.0.0.1:6379"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SmtpSink:
    """A minimal SMTP server that keeps every message it receives."""

    def __init__(self):
        self.port = free_port()
        self.messages = []
        self.lock = threading.Lock()
        self.loop = asyncio.new_event_loop()
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self):
        asyncio.set_event_loop(self.loop)
        server = self.loop.run_until_complete(
            asyncio.start_server(self._session, "127.0.0.1", self.port))
        self.loop.run_until_complete(server.serve_forever())

    async def _session(self, reader, writer):
        def say(line):
            writer.write((line + "\r\n").encode())
        say("220 smoke-sink ready")
        await writer.drain()
        while True:
            raw = await reader.readline()
            if not raw:
                break
            verb = raw.decode(errors="replace").strip().split(" ")[0].upper()
            if verb in ("EHLO", "HELO"):
                say("250-smoke-sink")
                say("250 8BITMIME")
            elif verb == "DATA":
                say("354 end with <CRLF>.<CRLF>")
                await writer.drain()
                lines = []
                while True:
                    line = await reader.readline()
                    if line in (b".\r\n", b".\n", b""):
                        break
                    if line.startswith(b".."):
                        line = line[1:]
                    lines.append(line)
                with self.lock:
                    self.messages.append(b"".join(lines))
                say("250 queued")
            elif verb == "QUIT":
                say("221 bye")
                await writer.drain()
                break
            else:
                say("250 ok")
            await writer.drain()
        writer.close()

    def wait_for(self, needle, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            with self.lock:
                for m in self.messages:
                    text = quopri.decodestring(m).decode(errors="replace")
                    if needle in text:
                        return text
            time.sleep(0.2)
        raise AssertionError(f"no email containing {needle!r} reached the SMTP sink")


def gql(port, query, token=None):
    body = json.dumps({"query": query}).encode()
    req = urllib.request.Request(f"http://127.0.0.1:{port}/graphql", data=body,
                                 headers={"content-type": "application/json"})
    if token:
        req.add_header("authorization", f"Bearer {token}")
    with urllib.request.urlopen(req, timeout=30) as r:
        out = json.load(r)
    assert not out.get("errors"), out
    return out["data"]


def wait_http(url, timeout):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, OSError):
            pass
        time.sleep(0.25)
    raise AssertionError(f"{url} did not answer within {timeout} s")


def token_from(text, path):
    m = re.search(re.escape(path) + r"\?token=([A-Za-z0-9_-]+)", text)
    assert m, f"no {path} link in the email:\n{text}"
    return m.group(1)


def check_catalogue(port):
    sets = gql(port, "{ competencySets { code required competencies { number } } }")["competencySets"]
    assert len(sets) == 10, len(sets)
    assert sum(s["required"] for s in sets) == 3
    assert sum(len(s["competencies"]) for s in sets) == 151


def stop(proc):
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise AssertionError("lsscp did not stop within 30 s of SIGTERM")
    assert proc.returncode == 0, f"lsscp exited with {proc.returncode}"


def production_shape():
    sink = SmtpSink()
    db = f"lsscp_smoke_{os.getpid()}"
    subprocess.run(["psql", PG_ADMIN, "-qc", f"DROP DATABASE IF EXISTS {db}"], check=True)
    subprocess.run(["psql", PG_ADMIN, "-qc", f"CREATE DATABASE {db}"], check=True)
    port = free_port()
    env = dict(os.environ,
               DATABASE_URL=f"postgres://postgres@127.0.0.1:5432/{db}",
               REDIS_URL=REDIS, QUEUE_PREFIX=f"smoke-{os.getpid()}",
               SMTP_URL=f"smtp://127.0.0.1:{sink.port}", PORT=str(port),
               APP_URL="https://app.example.org")
    with tempfile.TemporaryDirectory() as tmp:
        proc = subprocess.Popen([BINARY], cwd=tmp, env=env)
        try:
            wait_http(f"http://127.0.0.1:{port}/readyz", 60)
            check_catalogue(port)
            out = gql(port, 'mutation { register(input: {email: "smoke@example.org", '
                            'password: "correct horse battery", displayName: "Smoke"}) { ok } }')
            assert out["register"]["ok"]
            mail = sink.wait_for("smoke@example.org")
            token = token_from(mail, "https://app.example.org/verify-email")
            out = gql(port, f'mutation {{ verifyEmail(input: {{token: "{token}"}}) '
                            '{ account { emailVerified } userErrors { message } } }')
            assert out["verifyEmail"]["account"]["emailVerified"], out
            out = gql(port, 'mutation { login(input: {email: "smoke@example.org", '
                            'password: "correct horse battery"}) { token userErrors { code } } }')
            token = out["login"]["token"]
            assert token, out
            me = gql(port, "{ me { email emailVerified } }", token)["me"]
            assert me == {"email": "smoke@example.org", "emailVerified": True}, me
        finally:
            stop(proc)
            subprocess.run(["psql", PG_ADMIN, "-qc", f"DROP DATABASE IF EXISTS {db}"])
    print("smoke: PostgreSQL + Redis + SMTP ok")


def embedded_default():
    with tempfile.TemporaryDirectory() as tmp:
        env = {k: v for k, v in os.environ.items()
               if k not in ("DATABASE_URL", "REDIS_URL", "SMTP_URL", "PORT", "DATA_DIR")}
        began = time.time()
        proc = subprocess.Popen([BINARY], cwd=tmp, env=env)
        try:
            wait_http("http://127.0.0.1:8000/", 60)
            print(f"smoke: GraphiQL answered {time.time() - began:.1f} s after start")
            check_catalogue(8000)
            gql(8000, 'mutation { register(input: {email: "embedded@example.org", '
                      'password: "correct horse battery", displayName: "Embedded"}) { ok } }')
            outbox = os.path.join(tmp, "var", "outbox")
            deadline = time.time() + 30
            found = False
            while time.time() < deadline and not found:
                for name in os.listdir(outbox) if os.path.isdir(outbox) else []:
                    with open(os.path.join(outbox, name), "rb") as f:
                        text = quopri.decodestring(f.read()).decode(errors="replace")
                    found = found or ("embedded@example.org" in text and "verify-email?token=" in text)
                time.sleep(0.2)
            assert found, "no verification email in ./var/outbox/"
        finally:
            stop(proc)
    print("smoke: embedded default ok")


if __name__ == "__main__":
    production_shape()
    embedded_default()
