# Loopback port helpers for the build and benchmark scripts; sourced, not run.

# listening PORT: whether something accepts connections on 127.0.0.1:PORT.
listening() { python3 -c "import socket,sys; s=socket.socket(); sys.exit(s.connect_ex(('127.0.0.1', $1)))"; }

# wait_for PORT SECONDS: waits until something listens on 127.0.0.1:PORT; after SECONDS, stops the script.
wait_for() {
    local deadline=$((SECONDS + $2))
    until listening "$1"; do
        ((SECONDS < deadline)) || { echo "$(basename "$0" .sh): nothing listens on 127.0.0.1:$1" >&2; exit 1; }
        sleep 0.1
    done
}
