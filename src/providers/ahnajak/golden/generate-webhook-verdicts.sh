#!/bin/sh
# Serves the document's webhook receiver with php's built-in server, posts every case in
# webhook-cases.php to it, and writes what the PHP answered to webhook-verdicts.vectors.json.
set -eu
cd "$(dirname "$0")"
PORT="${PORT:-18765}"
php -d display_errors=0 -d log_errors=0 -S "127.0.0.1:$PORT" -t . >/dev/null 2>&1 &
SERVER=$!
trap 'kill $SERVER' EXIT
i=0
until php -r "exit(@fsockopen('127.0.0.1', $PORT) ? 0 : 1);"; do
  i=$((i + 1)); [ "$i" -lt 50 ] || { echo "php -S did not start" >&2; exit 1; }
  sleep 0.1
done
php webhook-cases.php "http://127.0.0.1:$PORT" > webhook-verdicts.vectors.json
echo "wrote $(grep -c '"verdict"' webhook-verdicts.vectors.json) verdicts"
