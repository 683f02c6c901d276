"""Calls the fake upstream with an official SDK: a normal call, a streaming call, tool calls
(plain and streamed), images (Anthropic), errors.

usage: sdk_fidelity.py openai|anthropic|ollama BASE_URL
Prints one JSON line {"provider", "text", "streamed", "usage"} and exits 0 when every check holds.
"""
import json
import sys

provider, base = sys.argv[1], sys.argv[2]
MESSAGES = [{"role": "user", "content": "hello fake upstream"}]


def check_ollama_management(ollama, client):
    """Ollama model management and tools, as the SDK sees them: load (empty messages +
    keep_alive) → ps lists it with size/size_vram/expires_at; show gives the family's context
    length (404 for an unknown model); a tool call comes back with arguments as an object; images
    with invalid base64 are a 400; unload (keep_alive=0) → ps no longer lists it."""
    loaded = client.chat(model="qwen2.5:7b", messages=[], keep_alive="10m")
    assert loaded.done_reason == "load", loaded
    assert loaded.load_duration and loaded.load_duration > 0, loaded
    ps = client.ps()
    entry = next(model for model in ps.models if model.model == "qwen2.5:7b")
    assert entry.size > 0 and entry.size_vram > 0 and entry.expires_at is not None, entry
    show = client.show("qwen2.5:7b")
    assert show.modelinfo["qwen2.context_length"] == 32768, show.modelinfo
    assert show.details.family == "qwen2", show.details
    try:
        client.show("no-such-model")
        raise AssertionError("404 expected")
    except ollama.ResponseError as error:
        assert error.status_code == 404, error.status_code
    tool = {"type": "function", "function": {"name": "get_weather", "description": "weather", "parameters": {"type": "object", "properties": {"question": {"type": "string"}}}}}
    called = client.chat(model="qwen2.5:7b", messages=[{"role": "user", "content": "please call get_weather"}], tools=[tool])
    calls = called.message.tool_calls
    assert calls and calls[0].function.name == "get_weather", called
    assert calls[0].function.arguments == {"question": "please call get_weather"}, calls[0].function.arguments
    streamed_calls = [call for part in client.chat(model="qwen2.5:7b", messages=[{"role": "user", "content": "please call get_weather"}], tools=[tool], stream=True) for call in (part.message.tool_calls or [])]
    assert [call.function.name for call in streamed_calls] == ["get_weather"], streamed_calls
    # The SDK refuses bad base64 itself, so the fake's 400 is checked with the SDK's own HTTP client.
    import httpx

    bad = httpx.post(base + "/api/chat", json={"model": "qwen2.5:7b", "stream": False, "messages": [{"role": "user", "content": "look", "images": ["not base64!"]}]})
    assert bad.status_code == 400 and "illegal base64 data" in bad.json()["error"], bad.text
    seen = client.chat(model="qwen2.5:7b", messages=[{"role": "user", "content": "look", "images": ["iVBORw0KGgo="]}])
    assert seen.message.content.startswith("Fake ollama reply"), seen
    unloaded = client.generate(model="qwen2.5:7b", keep_alive=0)
    assert unloaded.done_reason == "unload", unloaded
    assert all(model.model != "qwen2.5:7b" for model in client.ps().models)


if provider == "openai":
    import openai

    client = openai.OpenAI(base_url=base + "/v1", api_key="sk-fake", max_retries=0)
    response = client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, max_tokens=64, temperature=0.2)
    text = response.choices[0].message.content
    assert response.choices[0].finish_reason == "stop", response
    usage = response.usage.total_tokens
    assert usage == response.usage.prompt_tokens + response.usage.completion_tokens
    parts, streamed_usage = [], None
    for chunk in client.chat.completions.create(
        model="gpt-4o-mini", messages=MESSAGES, stream=True, stream_options={"include_usage": True}
    ):
        if chunk.choices and chunk.choices[0].delta.content:
            parts.append(chunk.choices[0].delta.content)
        if chunk.usage:
            streamed_usage = chunk.usage.total_tokens
    streamed = "".join(parts)
    assert streamed_usage == usage, (streamed_usage, usage)
    tooled = client.chat.completions.create(
        model="gpt-4o-mini",
        messages=[{"role": "user", "content": "use a tool please"}],
        tools=[{"type": "function", "function": {"name": "lookup", "parameters": {"type": "object", "properties": {}}}}],
    )
    assert tooled.choices[0].finish_reason == "tool_calls", tooled
    assert tooled.choices[0].message.tool_calls[0].function.name == "lookup", tooled
    assert json.loads(tooled.choices[0].message.tool_calls[0].function.arguments)["question"] == "use a tool please"
    # A streamed tool call, read by hand (index, id, name, then argument fragments) ...
    TOOLS = [
        {"type": "function", "function": {"name": "lookup", "parameters": {"type": "object", "properties": {}}}},
        {"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}},
    ]
    ASK = [{"role": "user", "content": "please call get_weather for Paris"}]
    calls, finish, fragments = {}, None, 0
    for chunk in client.chat.completions.create(model="gpt-4o-mini", messages=ASK, tools=TOOLS, stream=True):
        for choice in chunk.choices:
            finish = choice.finish_reason or finish
            for call in choice.delta.tool_calls or []:
                entry = calls.setdefault(call.index, {"id": None, "name": None, "arguments": ""})
                entry["id"] = call.id or entry["id"]
                if call.function is not None:
                    entry["name"] = call.function.name or entry["name"]
                    if call.function.arguments:
                        entry["arguments"] += call.function.arguments
                        fragments += 1
    assert finish == "tool_calls", finish
    assert list(calls) == [0] and calls[0]["name"] == "get_weather" and calls[0]["id"].startswith("call_"), calls
    assert json.loads(calls[0]["arguments"]) == {"question": "please call get_weather for Paris"}, calls
    assert fragments > 1, "arguments arrive in fragments"
    # ... and by the SDK's own accumulating stream helper.
    with client.chat.completions.stream(model="gpt-4o-mini", messages=ASK, tools=TOOLS) as stream:
        final = stream.get_final_completion()
    assert final.choices[0].finish_reason == "tool_calls", final
    assert final.choices[0].message.tool_calls[0].function.arguments == calls[0]["arguments"], final
    try:
        client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, extra_headers={"x-fake-fault": "429"})
        raise AssertionError("429 expected")
    except openai.RateLimitError as error:
        assert error.response.headers.get("retry-after") == "1"
    try:
        client.chat.completions.create(model="no-such-model", messages=MESSAGES)
        raise AssertionError("404 expected")
    except openai.NotFoundError:
        pass
elif provider == "anthropic":
    import anthropic

    client = anthropic.Anthropic(base_url=base, api_key="sk-ant-fake", max_retries=0)
    message = client.messages.create(model="claude-haiku-4-5", max_tokens=64, system="be brief", messages=MESSAGES)
    text = message.content[0].text
    assert message.stop_reason == "end_turn", message
    usage = message.usage.input_tokens + message.usage.output_tokens
    with client.messages.stream(model="claude-haiku-4-5", max_tokens=64, system="be brief", messages=MESSAGES) as stream:
        streamed = "".join(stream.text_stream)
        final = stream.get_final_message()
    assert final.usage.output_tokens == message.usage.output_tokens
    # Tools: a tool_use block, plain and streamed (input_json_delta), then the conversation goes on.
    TOOLS = [{"name": "get_weather", "description": "weather of a city",
              "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}}}]
    ASK = [{"role": "user", "content": "please call get_weather for Paris"}]
    tooled = client.messages.create(model="claude-haiku-4-5", max_tokens=64, tools=TOOLS, messages=ASK)
    assert tooled.stop_reason == "tool_use", tooled
    block = tooled.content[0]
    assert block.type == "tool_use" and block.name == "get_weather" and block.id.startswith("toolu_"), block
    assert block.input == {"question": "please call get_weather for Paris"}, block
    with client.messages.stream(model="claude-haiku-4-5", max_tokens=64, tools=TOOLS, messages=ASK) as stream:
        streamed_tool = stream.get_final_message()
    assert streamed_tool.stop_reason == "tool_use", streamed_tool
    assert streamed_tool.content[0].type == "tool_use" and streamed_tool.content[0].input == block.input, streamed_tool
    forced = client.messages.create(model="claude-haiku-4-5", max_tokens=64, tools=TOOLS, messages=MESSAGES,
                                    tool_choice={"type": "tool", "name": "get_weather"})
    assert forced.stop_reason == "tool_use" and forced.content[0].name == "get_weather", forced
    answered = client.messages.create(model="claude-haiku-4-5", max_tokens=64, tools=TOOLS, messages=ASK + [
        {"role": "assistant", "content": tooled.content},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": block.id, "content": "sunny"}]},
    ])
    assert answered.stop_reason == "end_turn" and answered.content[0].type == "text", answered
    # Images: a valid base64 PNG is answered; a bad media type or bad base64 is a 400 naming the field.
    PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
    seen = client.messages.create(model="claude-haiku-4-5", max_tokens=64, messages=[{"role": "user", "content": [
        {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": PNG}},
        {"type": "text", "text": "what is in this picture?"},
    ]}])
    assert seen.stop_reason == "end_turn" and "what is in this picture?" in seen.content[0].text, seen
    for source, field in [({"type": "base64", "media_type": "image/bmp", "data": PNG}, "media_type"),
                          ({"type": "base64", "media_type": "image/png", "data": "@@not base64@@"}, "data")]:
        try:
            client.messages.create(model="claude-haiku-4-5", max_tokens=64, messages=[{"role": "user", "content": [
                {"type": "image", "source": source}, {"type": "text", "text": "and this?"}]}])
            raise AssertionError("400 expected for " + field)
        except anthropic.BadRequestError as error:
            assert error.body["error"]["type"] == "invalid_request_error" and field in error.body["error"]["message"], error.body
    try:
        client.messages.create(model="claude-haiku-4-5", max_tokens=64, messages=MESSAGES, extra_headers={"x-fake-fault": "529"})
        raise AssertionError("529 expected")
    except anthropic.APIStatusError as error:
        assert error.status_code == 529, error.status_code
    try:
        client.messages.create(model="claude-haiku-4-5", max_tokens=64, messages=MESSAGES, extra_headers={"x-fake-fault": "429"})
        raise AssertionError("429 expected")
    except anthropic.RateLimitError:
        pass
elif provider == "ollama":
    import ollama

    client = ollama.Client(host=base)
    response = client.chat(model="llama3.1:8b", messages=MESSAGES, stream=False)
    text = response["message"]["content"]
    assert response["done"] is True
    usage = response["prompt_eval_count"] + response["eval_count"]
    streamed = "".join(part["message"]["content"] for part in client.chat(model="llama3.1:8b", messages=MESSAGES, stream=True))
    names = [model["model"] for model in client.list()["models"]]
    assert "llama3.1:8b" in names, names
    try:
        client.chat(model="no-such-model", messages=MESSAGES)
        raise AssertionError("404 expected")
    except ollama.ResponseError as error:
        assert error.status_code == 404, error.status_code
    check_ollama_management(ollama, client)
else:
    sys.exit(f"unknown provider {provider}")

assert streamed == text, (streamed, text)
print(json.dumps({"provider": provider, "text": text, "streamed": streamed, "usage": usage}))
