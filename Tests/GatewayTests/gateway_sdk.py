"""The gateway against the official `openai` and `anthropic` Python SDKs (run by GatewaySDKTests).

usage: gateway_sdk.py GATEWAY_URL KEY FAKE_UPSTREAM_URL SECOND_GATEWAY_URL

The gateway fronts a router, an `openai` agent and an `anthropic` agent whose upstream is the
fake upstream. Each check prints `ok <name>`; the first failure raises (exit status 1).
"""
import json
import socket
import sys
import threading
import time
import urllib.request

import anthropic
import openai

base, key, upstream, second_base = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
client = openai.OpenAI(base_url=base + "/v1", api_key=key, max_retries=0, timeout=60)
MESSAGES = [{"role": "user", "content": "hello gateway"}]
EXPECTED = 'Fake openai reply from gpt-4o-mini to "hello gateway"'


def ok(name):
    print("ok", name, flush=True)


def faults(rules):
    request = urllib.request.Request(
        upstream + "/fake/faults", data=json.dumps({"rules": rules}).encode(), method="PUT")
    urllib.request.urlopen(request).read()


def upstream_calls():
    stats = json.loads(urllib.request.urlopen(upstream + "/fake/stats").read())
    return stats["requests"].get("POST /v1/chat/completions", 0)


# The models list comes from the live registry: plain names (through the router) and provider/model.
ids = {model.id for model in client.models.list()}
assert {"gpt-4o-mini", "openai/gpt-4o-mini"} <= ids, ids
ok("models")

# A chat completion through the router, and straight to the provider.
for model in ["gpt-4o-mini", "openai/gpt-4o-mini"]:
    response = client.chat.completions.create(model=model, messages=MESSAGES, max_tokens=64)
    assert response.choices[0].message.content.startswith(EXPECTED), response
    assert response.choices[0].finish_reason == "stop", response
    assert response.model == model, response
    assert response.usage.total_tokens == response.usage.prompt_tokens + response.usage.completion_tokens > 0
    usage = response.usage.total_tokens
ok("chat")

# Streaming, with the usage chunk.
parts, streamed_usage, finish = [], None, None
for chunk in client.chat.completions.create(
    model="gpt-4o-mini", messages=MESSAGES, stream=True, stream_options={"include_usage": True}
):
    if chunk.choices:
        parts.append(chunk.choices[0].delta.content or "")
        finish = chunk.choices[0].finish_reason or finish
    if chunk.usage:
        streamed_usage = chunk.usage.total_tokens
assert "".join(parts).startswith(EXPECTED), parts
assert len([part for part in parts if part]) > 1, "the text arrives in several chunks: %r" % parts
assert finish == "stop" and streamed_usage == usage, (finish, streamed_usage, usage)
ok("stream")

# Tools, plain and through the SDK's accumulating stream helper.
TOOLS = [{"type": "function", "function": {"name": "lookup", "parameters": {"type": "object", "properties": {}}}}]
ASK = [{"role": "user", "content": "use a tool please"}]
tooled = client.chat.completions.create(model="gpt-4o-mini", messages=ASK, tools=TOOLS)
call = tooled.choices[0].message.tool_calls[0]
assert tooled.choices[0].finish_reason == "tool_calls" and call.function.name == "lookup", tooled
assert json.loads(call.function.arguments) == {"question": "use a tool please"}, call
with client.chat.completions.stream(model="gpt-4o-mini", messages=ASK, tools=TOOLS) as stream:
    final = stream.get_final_completion()
assert final.choices[0].finish_reason == "tool_calls", final
assert final.choices[0].message.tool_calls[0].function.arguments == call.function.arguments, final
ok("tools")

# Idempotency: the same key twice gives the same answer, and the provider is called once.
before = upstream_calls()
headers = {"Idempotency-Key": "sdk-retry-1"}
first = client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, extra_headers=headers)
second = client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, extra_headers=headers)
assert first.id == second.id and first.choices[0].message.content == second.choices[0].message.content
assert upstream_calls() - before == 1, (before, upstream_calls())
# Three tries at once (one streamed), while the upstream takes a second: one call, one answer.
def latency(distribution):
    request = urllib.request.Request(
        upstream + "/fake/latency", data=json.dumps({"distribution": distribution}).encode(), method="PUT")
    urllib.request.urlopen(request).read()


latency("fixed:1000ms")
before = upstream_calls()
together = {"Idempotency-Key": "sdk-together-1"}
results = []


def try_once(stream):
    if stream:
        parts = [chunk.choices[0].delta.content or "" for chunk in client.chat.completions.create(
            model="gpt-4o-mini", messages=MESSAGES, extra_headers=together, stream=True) if chunk.choices]
        results.append("".join(parts))
    else:
        results.append(client.chat.completions.create(
            model="gpt-4o-mini", messages=MESSAGES, extra_headers=together).choices[0].message.content)


threads = [threading.Thread(target=try_once, args=(stream,)) for stream in (False, False, True)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
latency("0ms")
assert len(results) == 3 and len(set(results)) == 1 and results[0].startswith(EXPECTED), results
assert upstream_calls() - before == 1, (before, upstream_calls())
ok("idempotency")

# Errors, as the SDK's classes.
def expect(error_class, status, call, param=None):
    try:
        call()
    except error_class as error:
        assert error.status_code == status, (error.status_code, error)
        if param is not None:
            assert error.body["param"] == param, error.body
        return error
    raise AssertionError("%s expected" % error_class.__name__)


expect(openai.BadRequestError, 400, lambda: client.chat.completions.create(
    model="gpt-4o-mini", messages=[{"role": "usr", "content": "x"}]), param="messages[0].role")
expect(openai.BadRequestError, 400, lambda: client.chat.completions.create(
    model="gpt-4o-mini", messages=MESSAGES, temperature=7), param="temperature")
expect(openai.BadRequestError, 400, lambda: client.chat.completions.create(
    model="gpt-4o-mini", messages=MESSAGES, extra_body={"surprise": 1}), param="surprise")
expect(openai.NotFoundError, 404, lambda: client.chat.completions.create(model="no-such-model", messages=MESSAGES))
expect(openai.NotFoundError, 404, lambda: client.chat.completions.create(
    model="nobody/gpt-4o-mini", messages=MESSAGES))
wrong = openai.OpenAI(base_url=base + "/v1", api_key="sk-wrong", max_retries=0)
expect(openai.AuthenticationError, 401, lambda: wrong.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES))
expect(openai.APIStatusError, 413, lambda: client.chat.completions.create(
    model="gpt-4o-mini", messages=[{"role": "user", "content": "x" * (5 << 20)}]))
# A client that stalls before its request's head is complete is cut off after the idle timeout.
stalled = socket.create_connection(("127.0.0.1", int(base.rsplit(":", 1)[1])))
stalled.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n")
stalled.settimeout(15)
began = time.monotonic()
assert stalled.recv(1024) == b"", "the gateway closes a stalled connection"
assert time.monotonic() - began < 10, "closed after the idle timeout"
stalled.close()
ok("bad input")

# Files: stored on Kafka by one gateway, read back whole at any other.
jsonl = "".join(json.dumps({"custom_id": "line-%d" % i, "method": "POST", "url": "/v1/chat/completions",
                            "body": {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "x" * 4000}]}})
                + "\n" for i in range(300)).encode()
assert len(jsonl) > 1 << 20, "several chunks"
uploaded = client.files.create(file=("input.jsonl", jsonl), purpose="batch")
assert uploaded.bytes == len(jsonl) and uploaded.filename == "input.jsonl" and uploaded.purpose == "batch", uploaded
assert client.files.retrieve(uploaded.id).bytes == len(jsonl)
assert client.files.content(uploaded.id).read() == jsonl
assert uploaded.id in [file.id for file in client.files.list()]
other = openai.OpenAI(base_url=second_base + "/v1", api_key=key, max_retries=0, timeout=60)
deadline = time.monotonic() + 10
while True:
    try:
        assert other.files.content(uploaded.id).read() == jsonl
        break
    except openai.NotFoundError:
        assert time.monotonic() < deadline, "the second gateway learns the file"
        time.sleep(0.2)
expect(openai.NotFoundError, 404, lambda: client.files.retrieve("file-nope"))
expect(openai.BadRequestError, 400, lambda: client.files.create(file=("x.jsonl", b"{}"), purpose="fine-tune"),
       param="purpose")
ok("files")

# A batch job, as OpenAI's Batch API runs one: 20 lines through the router, the output in order.
before = upstream_calls()
lines = [{"custom_id": "q-%02d" % i, "method": "POST", "url": "/v1/chat/completions",
          "body": {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "question %d" % i}]}}
         for i in range(20)]
batch_input = client.files.create(file=("batch.jsonl", "".join(json.dumps(l) + "\n" for l in lines).encode()),
                                  purpose="batch")
batch = client.batches.create(input_file_id=batch_input.id, endpoint="/v1/chat/completions",
                              completion_window="24h", metadata={"run": "sdk"})
assert batch.status == "validating" and batch.metadata == {"run": "sdk"}, batch
deadline = time.monotonic() + 90
while batch.status not in ("completed", "failed", "cancelled", "expired"):
    assert time.monotonic() < deadline, batch
    time.sleep(0.5)
    batch = client.batches.retrieve(batch.id)
assert batch.status == "completed", batch
assert (batch.request_counts.total, batch.request_counts.completed, batch.request_counts.failed) == (20, 20, 0), batch
assert batch.id in [b.id for b in client.batches.list()]
output = [json.loads(line) for line in client.files.content(batch.output_file_id).read().splitlines()]
assert [entry["custom_id"] for entry in output] == ["q-%02d" % i for i in range(20)], output
for i, entry in enumerate(output):
    assert entry["response"]["status_code"] == 200, entry
    assert entry["response"]["body"]["choices"][0]["message"]["content"].startswith(
        'Fake openai reply from gpt-4o-mini to "question %d"' % i), entry
assert upstream_calls() - before == 20, (before, upstream_calls())
# A file with bad lines fails the job, naming them.
bad = client.files.create(file=("bad.jsonl", (json.dumps(lines[0]) + "\nnot json\n" + json.dumps(lines[0]) + "\n").encode()),
                          purpose="batch")
failed = client.batches.create(input_file_id=bad.id, endpoint="/v1/chat/completions", completion_window="24h")
deadline = time.monotonic() + 30
while failed.status == "validating":
    assert time.monotonic() < deadline, failed
    time.sleep(0.3)
    failed = client.batches.retrieve(failed.id)
assert failed.status == "failed", failed
assert [(e.line, e.code) for e in failed.errors.data] == [(2, "invalid_json_line"), (3, "duplicate_custom_id")], failed
expect(openai.NotFoundError, 404, lambda: client.batches.create(
    input_file_id="file-nope", endpoint="/v1/chat/completions", completion_window="24h"))
expect(openai.BadRequestError, 400, lambda: client.batches.create(
    input_file_id=bad.id, endpoint="/v1/embeddings", completion_window="24h"), param="endpoint")
# A cancel: lines in flight finish, no new one is sent, the job ends cancelled with a partial output.
latency("fixed:300ms")
slow = client.files.create(file=("slow.jsonl", "".join(
    json.dumps(dict(l, custom_id="s-%03d" % i)) + "\n" for i, l in enumerate(lines * 15)).encode()), purpose="batch")
job = client.batches.create(input_file_id=slow.id, endpoint="/v1/chat/completions", completion_window="24h")
deadline = time.monotonic() + 60
while job.request_counts is None or job.request_counts.completed == 0:
    assert time.monotonic() < deadline, job
    time.sleep(0.2)
    job = client.batches.retrieve(job.id)
assert client.batches.cancel(job.id).status == "cancelling"
while job.status not in ("cancelled", "completed", "failed"):
    assert time.monotonic() < deadline, job
    time.sleep(0.3)
    job = client.batches.retrieve(job.id)
latency("0ms")
assert job.status == "cancelled", job
done = job.request_counts.completed + job.request_counts.failed
assert 0 < done < 300 and job.request_counts.total == 300, job.request_counts
partial = client.files.content(job.output_file_id).read().splitlines()
assert len(partial) == job.request_counts.completed, (len(partial), job.request_counts)
ok("batches")

# Files and batches belong to the key that made them: another key finds none of them, and what
# it makes is its own.
stranger = openai.OpenAI(base_url=base + "/v1", api_key="sk-other-key", max_retries=0, timeout=60)
expect(openai.NotFoundError, 404, lambda: stranger.files.retrieve(batch_input.id))
expect(openai.NotFoundError, 404, lambda: stranger.files.content(batch.output_file_id))
expect(openai.NotFoundError, 404, lambda: stranger.batches.retrieve(batch.id))
expect(openai.NotFoundError, 404, lambda: stranger.batches.cancel(job.id))
expect(openai.NotFoundError, 404, lambda: stranger.batches.create(
    input_file_id=batch_input.id, endpoint="/v1/chat/completions", completion_window="24h"))
assert batch.id not in [b.id for b in stranger.batches.list()]
assert batch_input.id not in [f.id for f in stranger.files.list()]
own = stranger.files.create(file=("own.jsonl", (json.dumps(lines[0]) + "\n").encode()), purpose="batch")
assert own.id in [f.id for f in stranger.files.list()]
assert own.id not in [f.id for f in client.files.list()]
expect(openai.NotFoundError, 404, lambda: client.files.retrieve(own.id))
ok("files and batches owned by their key")

# Both API shapes reach every provider: OpenAI's SDK asks for an Anthropic model ...
claude = client.chat.completions.create(model="claude-haiku-4-5", messages=MESSAGES)
assert claude.choices[0].message.content.startswith(
    'Fake anthropic reply from claude-haiku-4-5 to "hello gateway"'), claude
ok("openai shape to the anthropic provider")

# ... and Anthropic's SDK speaks Messages to the gateway, whichever provider serves the model.
messages = anthropic.Anthropic(base_url=base, api_key=key, max_retries=0, timeout=60)
for model, provider in [("gpt-4o-mini", "openai"), ("claude-haiku-4-5", "anthropic")]:
    message = messages.messages.create(model=model, max_tokens=64, system="be brief", messages=MESSAGES)
    assert message.content[0].type == "text", message
    assert message.content[0].text.startswith('Fake %s reply from %s to "hello gateway"' % (provider, model)), message
    assert message.stop_reason == "end_turn" and message.model == model, message
    assert message.usage.output_tokens > 0 and message.usage.input_tokens > 0, message
    with messages.messages.stream(model=model, max_tokens=64, messages=MESSAGES) as stream:
        streamed = "".join(stream.text_stream)
        final = stream.get_final_message()
    assert streamed == message.content[0].text, (streamed, message.content[0].text)
    assert final.stop_reason == "end_turn" and final.usage.output_tokens == message.usage.output_tokens, final
ok("anthropic messages and stream")
WEATHER = [{"name": "get_weather", "description": "weather of a city",
            "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}}}]
ASK_WEATHER = [{"role": "user", "content": "please call get_weather for Paris"}]
used = messages.messages.create(model="gpt-4o-mini", max_tokens=64, tools=WEATHER, messages=ASK_WEATHER)
block = next(block for block in used.content if block.type == "tool_use")
assert used.stop_reason == "tool_use" and block.name == "get_weather", used
assert block.input == {"question": "please call get_weather for Paris"}, block
with messages.messages.stream(model="gpt-4o-mini", max_tokens=64, tools=WEATHER, messages=ASK_WEATHER) as stream:
    streamed_use = stream.get_final_message()
streamed_block = next(block for block in streamed_use.content if block.type == "tool_use")
assert streamed_block.input == block.input and streamed_use.stop_reason == "tool_use", streamed_use
answered = messages.messages.create(model="gpt-4o-mini", max_tokens=64, tools=WEATHER, messages=ASK_WEATHER + [
    {"role": "assistant", "content": used.content},
    {"role": "user", "content": [{"type": "tool_result", "tool_use_id": block.id, "content": "sunny"}]},
])
assert answered.stop_reason == "end_turn" and answered.content[0].type == "text", answered
ok("anthropic tools")
for error_class, status, call in [
    (anthropic.BadRequestError, 400, lambda: messages.messages.create(model="gpt-4o-mini", messages=MESSAGES,
                                                                      max_tokens=0)),
    (anthropic.NotFoundError, 404, lambda: messages.messages.create(model="no-such-model", max_tokens=8,
                                                                    messages=MESSAGES)),
    (anthropic.AuthenticationError, 401, lambda: anthropic.Anthropic(
        base_url=base, api_key="sk-wrong", max_retries=0).messages.create(
            model="gpt-4o-mini", max_tokens=8, messages=MESSAGES)),
]:
    try:
        call()
        raise AssertionError("%s expected" % error_class.__name__)
    except error_class as error:
        assert error.status_code == status and error.body["type"] == "error", error.body
ok("anthropic errors")

# Upstream answers: a 429 (straight to the provider, so no router retries it) ...
faults([{"fault": "429", "provider": "openai", "count": 1}])
limited = expect(openai.RateLimitError, 429, lambda: client.chat.completions.create(
    model="openai/gpt-4o-mini", messages=MESSAGES))
wait = int(limited.response.headers["retry-after"])
assert wait >= 1, limited.response.headers
ok("429")
time.sleep(wait + 0.5)  # the agent holds back its upstream until the 429's reset has passed
# ... a hung upstream past the gateway's deadline ...
faults([{"fault": "timeout", "provider": "openai", "count": 1}])
expect(openai.APIStatusError, 504, lambda: client.chat.completions.create(
    model="openai/gpt-4o-mini", messages=MESSAGES))
ok("504")
# ... upstream failures (502), until the agent's breaker opens (503).
faults([{"fault": "500", "provider": "openai", "count": 1000}])
expect(openai.APIStatusError, 502, lambda: client.chat.completions.create(
    model="openai/gpt-4o-mini", messages=MESSAGES))
seen = set()
for _ in range(6):
    try:
        client.chat.completions.create(model="openai/gpt-4o-mini", messages=MESSAGES)
    except openai.APIStatusError as error:
        seen.add(error.status_code)
        if error.status_code == 503:
            break
assert 503 in seen, seen
ok("502 and 503")
faults([])
print("all ok")
