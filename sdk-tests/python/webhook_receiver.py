"""A webhook endpoint for tests/api/events.rs: verifies each delivery with the Standard Webhooks
reference library and appends "<webhook-id> <type>" to OUT (or "BAD <reason>") per request.

    python webhook_receiver.py PORT SECRET OUT
"""

import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks.webhooks import Webhook

PORT, SECRET, OUT = int(sys.argv[1]), sys.argv[2], sys.argv[3]
HOOK = Webhook(SECRET)


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length", "0")))
        headers = {k.lower(): v for k, v in self.headers.items()}
        try:
            payload = HOOK.verify(body, headers)
            line = f"{headers['webhook-id']} {payload['type']}"
            assert payload["data"]["event_id"] == headers["webhook-id"], "id mismatch"
            status = 204
        except Exception as e:  # noqa: BLE001 - every refusal is recorded
            line = f"BAD {type(e).__name__}: {e}"
            status = 400
        with open(OUT, "a") as f:
            f.write(line + "\n")
        self.send_response(status)
        self.end_headers()

    def log_message(self, *args):
        pass


server = ThreadingHTTPServer(("127.0.0.1", PORT), Handler)
print("ready", flush=True)
server.serve_forever()
