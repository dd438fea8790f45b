"""A small "test suite" for `badreq run`: calls the API through whatever proxy
and CA bundle the environment names, like a project's integration tests would.

  sdk_run.py two     one good request, one the upstream rejects (caught)
  sdk_run.py sleep   one good request, then sleeps (to be interrupted)
"""
import sys
import time

import anthropic

client = anthropic.Anthropic(max_retries=0, timeout=30)
client.messages.create(model="claude-sonnet-4-6", max_tokens=64, messages=[{"role": "user", "content": "Hello"}])
if sys.argv[1] == "two":
    try:
        client.messages.create(model="claude-sonnet-4-6", max_tokens=64,
                               messages=[{"role": "user", "content": [{"type": "text", "text": ""}]}])
    except anthropic.BadRequestError:
        pass
elif sys.argv[1] == "sleep":
    print("ready", flush=True)
    time.sleep(30)
