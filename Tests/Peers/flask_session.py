"""A real Flask app used as the peer in ServiceKit's session-interoperability tests.

  flask_session.py set SECRET          -> prints the session cookie Flask sets for SAMPLE
  flask_session.py get SECRET COOKIE   -> prints the session Flask reads from COOKIE, types made explicit (JSON)
  flask_session.py check SECRET COOKIE -> exit 0 if Flask reads exactly SAMPLE (values and Python types)
"""
import datetime
import json
import sys
import uuid

from flask import Flask, session
from markupsafe import Markup

SAMPLE = {
    "user": "alice",
    "count": 42,
    "ratio": 3.5,
    "admin": False,
    "nothing": None,
    "pair": (1, "two"),
    "raw": b"\x00\xffhi",
    "when": datetime.datetime(2024, 5, 17, 10, 30, 0, tzinfo=datetime.timezone.utc),
    "id": uuid.UUID("12345678-1234-5678-1234-567812345678"),
    "html": Markup("<b>bold</b>"),
    "nested": {"list": [1, 2, {"k": "v"}]},
    "tricky": {" t": "not a tuple"},
}


def describe(value):
    if isinstance(value, Markup):
        return {"markup": str(value)}
    if isinstance(value, tuple):
        return {"tuple": [describe(v) for v in value]}
    if isinstance(value, bytes):
        return {"bytes": value.hex()}
    if isinstance(value, datetime.datetime):
        return {"datetime": value.isoformat()}
    if isinstance(value, uuid.UUID):
        return {"uuid": str(value)}
    if isinstance(value, dict):
        return {"dict": {k: describe(v) for k, v in value.items()}}
    if isinstance(value, list):
        return {"list": [describe(v) for v in value]}
    return {type(value).__name__: value}


def make_app(secret):
    app = Flask("peer")
    app.secret_key = secret

    @app.route("/set")
    def set_session():
        session.update(SAMPLE)
        return "ok"

    @app.route("/get")
    def get_session():
        return json.dumps(describe(dict(session)), sort_keys=True)

    return app


def main():
    command, secret = sys.argv[1], sys.argv[2]
    client = make_app(secret).test_client()
    if command == "set":
        response = client.get("/set")
        cookie = response.headers["Set-Cookie"].split(";")[0]
        print(cookie.split("=", 1)[1])
        return 0
    client.set_cookie("session", sys.argv[3], domain="localhost")
    seen = json.loads(client.get("/get").get_data(as_text=True))
    if command == "get":
        print(json.dumps(seen, sort_keys=True))
        return 0
    expected = describe(SAMPLE)
    if seen != expected:
        print("Flask read", json.dumps(seen, sort_keys=True), "expected", json.dumps(expected, sort_keys=True))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
