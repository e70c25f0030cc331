"""Shared by the Python peers of the Swift tests: a threaded TCP listener, and exiting when the test process
goes away even if it crashed before it could kill them (a SIGKILLed test binary runs no cleanup)."""
import os
import socket
import threading
import time


def exit_with_parent():
    parent = os.getppid()

    def watch():
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(0)

    threading.Thread(target=watch, daemon=True).start()


def serve_connections(port, serve):
    """Accepts connections on 127.0.0.1:port forever, each handled by serve(connection) on its own thread."""
    exit_with_parent()
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", port))
    listener.listen(16)
    while True:
        client, _ = listener.accept()
        threading.Thread(target=serve, args=(client,), daemon=True).start()
