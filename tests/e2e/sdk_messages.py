"""Drive the official anthropic SDK through badreq and print what it saw as JSON.

Configured only by the environment the way users do it (HTTPS_PROXY, SSL_CERT_FILE,
ANTHROPIC_API_KEY), except base-url mode, which passes base_url explicitly.
Usage: sdk_messages.py MODE [BASE_URL]
  ok        one plain message
  error     a request the upstream rejects with a 400 envelope
  stream    a streamed message; reports when each event arrived
"""
import json
import sys
import time

import anthropic

mode = sys.argv[1]
kwargs = {"max_retries": 0, "timeout": 30}
if len(sys.argv) > 2:
    kwargs["base_url"] = sys.argv[2]
client = anthropic.Anthropic(**kwargs)
out = {"sdk_version": anthropic.__version__}

if mode == "ok":
    message = client.messages.create(
        model="claude-sonnet-4-5",
        max_tokens=64,
        messages=[{"role": "user", "content": "Hello"}],
    )
    out["text"] = message.content[0].text
elif mode == "error":
    try:
        client.messages.create(
            model="claude-sonnet-4-5",
            max_tokens=64,
            messages=[{"role": "user", "content": [{"type": "text", "text": ""}]}],
        )
        out["error"] = None
    except anthropic.APIStatusError as e:
        out["error"] = {
            "class": type(e).__name__,
            "status": e.status_code,
            "body": e.body,
            "request_id": e.request_id,
        }
elif mode == "stream":
    events = []
    text = ""
    stream = client.messages.create(
        model="claude-sonnet-4-5",
        max_tokens=64,
        messages=[{"role": "user", "content": "Hello"}],
        stream=True,
    )
    for event in stream:
        received_at = time.time()
        raw = event.model_dump()
        events.append({"type": event.type, "received_at": received_at, "sent_at": raw.get("sent_at")})
        if event.type == "content_block_delta" and event.delta.type == "text_delta":
            text += event.delta.text
    out["text"] = text
    out["events"] = events
else:
    raise SystemExit(f"unknown mode {mode}")

print(json.dumps(out))
