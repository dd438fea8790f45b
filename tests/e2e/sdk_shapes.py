"""Build valid requests of every shape the API accepts with the official SDK, and
print each request as the SDK would send it (one JSON object per line).

Nothing leaves the process: an httpx MockTransport records each request and
answers like the API. Run with the 2.x SDK (Bearer, 2026-10-21) and the 1.x SDK
(x-api-key, 2023-06-01); badreq must find no error or warning in any of them.
"""
import base64
import json
import sys

import anthropic

try:  # SDK 2.x is built on httpx2, earlier majors on httpx
    import httpx2 as httpx
except ImportError:
    import httpx

KEY = "sk-ant-api03-" + "Xk3" * 31 + "AA"
PNG = base64.b64encode(bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c63f8cfc0f01f0005000201e2b2f3a30000000049454e44ae426082"
)).decode()
PDF = base64.b64encode(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n").decode()
MODEL = "claude-sonnet-4-6"

captured = []

MESSAGE = {"id": "msg_01", "type": "message", "role": "assistant", "model": MODEL,
           "content": [{"type": "text", "text": "ok"}], "stop_reason": "end_turn", "stop_sequence": None,
           "usage": {"input_tokens": 5, "output_tokens": 1}}
SSE = "".join(f"event: {e}\ndata: {json.dumps(d)}\n\n" for e, d in [
    ("message_start", {"type": "message_start", "message": dict(MESSAGE, content=[])}),
    ("content_block_start", {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}),
    ("content_block_delta", {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "ok"}}),
    ("content_block_stop", {"type": "content_block_stop", "index": 0}),
    ("message_delta", {"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": None}, "usage": {"output_tokens": 1}}),
    ("message_stop", {"type": "message_stop"}),
])
BATCH = {"id": "msgbatch_01", "type": "message_batch", "processing_status": "in_progress",
         "request_counts": {"processing": 1, "succeeded": 0, "errored": 0, "canceled": 0, "expired": 0},
         "ended_at": None, "created_at": "2026-11-25T00:00:00Z", "expires_at": "2026-11-26T00:00:00Z",
         "cancel_initiated_at": None, "results_url": None, "archived_at": None}


def answer(request: httpx.Request) -> httpx.Response:
    body = request.content.decode() if request.content else ""
    captured.append({
        "shape": current,
        "method": request.method,
        "url": str(request.url),
        "headers": [[k.decode(), v.decode()] for k, v in request.headers.raw],
        "body": body,
    })
    path = request.url.path
    if path.endswith("/count_tokens"):
        return httpx.Response(200, json={"input_tokens": 10})
    if path.endswith("/batches"):
        return httpx.Response(200, json=BATCH)
    if body and json.loads(body).get("stream"):
        return httpx.Response(200, text=SSE, headers={"content-type": "text/event-stream"})
    return httpx.Response(200, json=MESSAGE)


client = anthropic.Anthropic(api_key=KEY, max_retries=0,
                             http_client=httpx.Client(transport=httpx.MockTransport(answer)))
major = int(anthropic.__version__.split(".")[0])
current = ""

tool = {"name": "get_weather", "description": "Weather for a city",
        "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}
tool_use = {"type": "tool_use", "id": "toolu_01A", "name": "get_weather", "input": {"city": "Paris"}}
tool_result = {"type": "tool_result", "tool_use_id": "toolu_01A", "content": "18 degrees"}
thinking_block = {"type": "thinking", "thinking": "I should call the tool.", "signature": "EqQBCkgIARABGAIiQL"}


def create(**params):
    params.setdefault("model", MODEL)
    params.setdefault("max_tokens", 1024)
    return client.messages.create(**params)


shapes = {
    "text": lambda: create(messages=[{"role": "user", "content": "Hello"}]),
    "text blocks": lambda: create(messages=[{"role": "user", "content": [{"type": "text", "text": "Hello"}]}]),
    "system string": lambda: create(system="Be brief.", messages=[{"role": "user", "content": "Hello"}]),
    "system blocks": lambda: create(system=[{"type": "text", "text": "Be brief."}], messages=[{"role": "user", "content": "Hello"}]),
    "multi-turn": lambda: create(messages=[{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"}, {"role": "user", "content": "How are you?"}]),
    "image base64": lambda: create(messages=[{"role": "user", "content": [
        {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": PNG}}, {"type": "text", "text": "What is this?"}]}]),
    "image url": lambda: create(messages=[{"role": "user", "content": [
        {"type": "image", "source": {"type": "url", "url": "https://example.com/cat.png"}}, {"type": "text", "text": "What is this?"}]}]),
    "pdf document": lambda: create(messages=[{"role": "user", "content": [
        {"type": "document", "source": {"type": "base64", "media_type": "application/pdf", "data": PDF}}, {"type": "text", "text": "Summarise."}]}]),
    "text document with citations on": lambda: create(messages=[{"role": "user", "content": [
        {"type": "document", "source": {"type": "text", "media_type": "text/plain", "data": "The sky is blue."}, "title": "Facts", "citations": {"enabled": True}},
        {"type": "text", "text": "What colour is the sky?"}]}]),
    "tools": lambda: create(tools=[tool], messages=[{"role": "user", "content": "Weather in Paris?"}]),
    "tool choice": lambda: create(tools=[tool], tool_choice={"type": "tool", "name": "get_weather"}, messages=[{"role": "user", "content": "Weather in Paris?"}]),
    "tool result": lambda: create(tools=[tool], messages=[
        {"role": "user", "content": "Weather in Paris?"},
        {"role": "assistant", "content": [{"type": "text", "text": "Let me check."}, tool_use]},
        {"role": "user", "content": [tool_result]}]),
    "tool result with error and text": lambda: create(tools=[tool], messages=[
        {"role": "user", "content": "Weather in Paris?"},
        {"role": "assistant", "content": [tool_use]},
        {"role": "user", "content": [dict(tool_result, is_error=True, content="timeout"), {"type": "text", "text": "Try again?"}]}]),
    "server tool": lambda: create(tools=[{"type": "web_search_20250305", "name": "web_search", "max_uses": 3}], messages=[{"role": "user", "content": "News today?"}]),
    "thinking": lambda: create(max_tokens=4096, thinking={"type": "enabled", "budget_tokens": 2048}, messages=[{"role": "user", "content": "Prove it."}]),
    "adaptive thinking": lambda: create(model="claude-opus-4-8", max_tokens=4096, thinking={"type": "adaptive"}, messages=[{"role": "user", "content": "Prove it."}]),
    "thinking tool loop": lambda: create(max_tokens=4096, thinking={"type": "enabled", "budget_tokens": 2048}, tools=[tool], messages=[
        {"role": "user", "content": "Weather in Paris?"},
        {"role": "assistant", "content": [thinking_block, tool_use]},
        {"role": "user", "content": [tool_result]}]),
    "prompt caching": lambda: create(tools=[dict(tool, cache_control={"type": "ephemeral"})],
        system=[{"type": "text", "text": "Long instructions.", "cache_control": {"type": "ephemeral", "ttl": "1h"}}],
        messages=[{"role": "user", "content": [{"type": "text", "text": "Hello", "cache_control": {"type": "ephemeral"}}]}]),
    "automatic caching": lambda: create(cache_control={"type": "ephemeral"}, messages=[{"role": "user", "content": "Hello"}]),
    "stop sequences and metadata": lambda: create(stop_sequences=["\n\nHuman:", "END"], metadata={"user_id": "u-123"}, messages=[{"role": "user", "content": "Hello"}]),
    "structured output": lambda: create(output_config={"format": {"type": "json_schema", "schema": {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"], "additionalProperties": False}}},
        messages=[{"role": "user", "content": "Give me a."}]),
    "effort": lambda: create(model="claude-opus-4-8", output_config={"effort": "low"}, messages=[{"role": "user", "content": "Hello"}]),
    "prefill": lambda: create(model="claude-haiku-4-5", messages=[{"role": "user", "content": "Colours as JSON"}, {"role": "assistant", "content": "{"}]),
    "service tier": lambda: create(service_tier="auto", messages=[{"role": "user", "content": "Hello"}]),
    "streaming": lambda: list(create(stream=True, messages=[{"role": "user", "content": "Hello"}])),
    "stream helper": lambda: client.messages.stream(model=MODEL, max_tokens=1024, messages=[{"role": "user", "content": "Hello"}]).__enter__().get_final_message(),
    "count tokens": lambda: client.messages.count_tokens(model=MODEL, messages=[{"role": "user", "content": "Hello"}]),
    "count tokens with tools": lambda: client.messages.count_tokens(model=MODEL, tools=[tool], system="Be brief.", messages=[{"role": "user", "content": "Hello"}]),
    "beta: interleaved thinking with tools": lambda: client.beta.messages.create(
        model=MODEL, max_tokens=4096, betas=["interleaved-thinking-2025-05-14"],
        thinking={"type": "enabled", "budget_tokens": 2048}, tools=[tool],
        messages=[{"role": "user", "content": "Weather in Paris?"}]),
    "beta: context management": lambda: client.beta.messages.create(
        model=MODEL, max_tokens=1024, betas=["context-management-2025-06-27"],
        context_management={"edits": [{"type": "clear_tool_uses_20250919"}]},
        messages=[{"role": "user", "content": "Hello"}]),
    "batch": lambda: client.messages.batches.create(requests=[{"custom_id": "r1", "params": {"model": MODEL, "max_tokens": 1024, "messages": [{"role": "user", "content": "Hello"}]}}]),
}
if major >= 1:
    shapes["system message"] = lambda: create(messages=[{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hello"}])
    shapes["mid-conversation system message"] = lambda: create(messages=[
        {"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"},
        {"role": "system", "content": "Answer in French from now on."}, {"role": "user", "content": "How are you?"}])

failed = []
for name, call in shapes.items():
    current = name
    try:
        call()
    except Exception as e:  # a shape this SDK cannot build is reported, not hidden
        failed.append(f"{name}: {type(e).__name__}: {e}")

for request in captured:
    print(json.dumps(request))
if failed:
    print("\n".join(failed), file=sys.stderr)
    sys.exit(1)
