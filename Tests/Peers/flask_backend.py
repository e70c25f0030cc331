"""A Flask backend for the proxy tests: echoes the headers it received. Usage: flask_backend.py PORT"""
import sys

from flask import Flask, jsonify, request

from peer_lifetime import exit_with_parent

app = Flask(__name__)


@app.route("/<path:rest>", methods=["GET", "POST"])
def echo(rest):
    return jsonify(path="/" + rest, headers=dict(request.headers), remote_addr=request.remote_addr)


if __name__ == "__main__":
    exit_with_parent()
    app.run(host="127.0.0.1", port=int(sys.argv[1]), threaded=True)
