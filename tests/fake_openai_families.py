"""How each family of OpenAI-compatible server checks a chat-completion request, as its source does.

Read from the servers' own request handling (versions current in 2026):

- `openai`: api.openai.com. Unknown top-level arguments are refused; `json_object` needs the word
  "json" in the messages; `json_schema` needs a `name`, and with `strict: true` every object must set
  `additionalProperties: false` and list every property in `required`. Reasoning models refuse
  `max_tokens` ("Use 'max_completion_tokens' instead") and any temperature but 1. Usage is streamed
  only when `stream_options.include_usage` is set, and `stream_options` needs `stream`.
- `llama-cpp-python` (llama_cpp/server/types.py, errors.py): `response_format` is a TypedDict whose
  `type` is `Literal["text", "json_object"]` with an optional `schema`; a `json_schema` request fails
  FastAPI's validation, which the server's RouteErrorHandler turns into HTTP 500. Unknown fields are
  ignored, so `max_completion_tokens` does nothing (only `max_tokens` caps the answer). Streams carry
  no usage; sse-starlette sends `: ping` comments while the model is busy.
- `llama-server` (llama.cpp tools/server/server-common.cpp, server-schema.cpp): `json_object` (with an
  optional `schema`) and `json_schema` are both grammars; any other type is a 400. `max_tokens` and
  `max_completion_tokens` are aliases of `n_predict`; usage is streamed with `include_usage`.
- `ollama` (openai/openai.go): `json_object` becomes format "json" (any JSON: the schema is ignored),
  `json_schema` becomes the schema; other types are ignored. Only `max_tokens` becomes `num_predict`
  (Go drops unknown fields, so `max_completion_tokens` does nothing). `stream_options.include_usage`
  is honoured.
- `vllm` (vllm/entrypoints/openai/protocol.py): `type` must be text, json_object, json_schema or
  structural_tag, and `json_schema.name` is required; `json_object` is any JSON (a `schema` beside it
  is an ignored extra); `stream_options` needs `stream`. Extra fields are ignored with a warning.
- `plain`: a server with no structured output at all that says so ("Unsupported parameter").
"""

from __future__ import annotations

import re
from typing import Any

Family = str
FAMILIES = ("openai", "llama-cpp-python", "llama-server", "ollama", "vllm")
OPENAI_ARGS = frozenset(
    [
        "model",
        "messages",
        "max_tokens",
        "max_completion_tokens",
        "temperature",
        "top_p",
        "stream",
        "stream_options",
        "response_format",
        "n",
        "stop",
        "seed",
        "user",
        "tools",
        "tool_choice",
        "presence_penalty",
        "frequency_penalty",
        "logit_bias",
        "logprobs",
        "top_logprobs",
        "parallel_tool_calls",
        "metadata",
        "store",
        "reasoning_effort",
        "service_tier",
        "modalities",
        "prediction",
        "audio",
        "web_search_options",
        "verbosity",
        "prompt_cache_key",
        "safety_identifier",
    ]
)
STRICT_KEYWORDS = frozenset(
    [
        "type",
        "properties",
        "required",
        "additionalProperties",
        "items",
        "enum",
        "const",
        "anyOf",
        "description",
        "$defs",
        "$ref",
        "minItems",
        "maxItems",
        "minLength",
        "maxLength",
        "pattern",
        "format",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "multipleOf",
    ]
)
NAME_RE = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")


class Refused(Exception):
    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(status, body)
        self.status, self.body = status, body


def openai_error(message: str, param: str | None = None, code: str | None = None, status: int = 400) -> Refused:
    return Refused(
        status, {"error": {"message": message, "type": "invalid_request_error", "param": param, "code": code}}
    )


def strict_schema_problem(node: Any, path: tuple[str, ...] = ()) -> str | None:
    """The first thing strict structured output refuses in a schema, as OpenAI words it."""
    if not isinstance(node, dict):
        return None
    where = f"In context=({', '.join(repr(p) for p in path)})"
    for key in node:
        if key not in STRICT_KEYWORDS:
            return f"{where}, '{key}' is not permitted."
    if node.get("type") == "object":
        if node.get("additionalProperties") is not False:
            return f"{where}, 'additionalProperties' is required to be supplied and to be false."
        props = node.get("properties", {})
        missing = [k for k in props if k not in node.get("required", [])]
        if missing:
            return (
                f"{where}, 'required' is required to be supplied and to be an array including every key in "
                f"properties. Missing '{missing[0]}'."
            )
        for name, sub in props.items():
            if problem := strict_schema_problem(sub, (*path, "properties", name)):
                return problem
    if "items" in node:
        return strict_schema_problem(node["items"], (*path, "items"))
    return None


def check_openai(body: dict[str, Any], reasoning: bool) -> None:
    for key in body:
        if key not in OPENAI_ARGS:
            raise openai_error(f"Unrecognized request argument supplied: {key}")
    if body.get("stream_options") and not body.get("stream"):
        raise openai_error(
            "The 'stream_options' parameter is only allowed when 'stream' is enabled.", param="stream_options"
        )
    if reasoning and "max_tokens" in body:
        raise openai_error(
            "Unsupported parameter: 'max_tokens' is not supported with this model. "
            "Use 'max_completion_tokens' instead.",
            param="max_tokens",
            code="unsupported_parameter",
        )
    if reasoning and body.get("temperature", 1) != 1:
        raise openai_error(
            f"Unsupported value: 'temperature' does not support {body['temperature']} with this model. "
            "Only the default (1) value is supported.",
            param="temperature",
            code="unsupported_value",
        )
    fmt = body.get("response_format")
    if fmt is None:
        return
    kind = fmt.get("type")
    if kind not in ("text", "json_object", "json_schema"):
        raise openai_error(
            f"Invalid value: '{kind}'. Supported values are: 'text', 'json_object', and 'json_schema'.",
            param="response_format.type",
            code="invalid_value",
        )
    if kind == "json_object" and "json" not in str(body.get("messages", "")).lower():
        raise openai_error(
            "'messages' must contain the word 'json' in some form, to use 'response_format' of type 'json_object'.",
            param="messages",
        )
    if kind == "json_schema":
        spec = fmt.get("json_schema") or {}
        name = spec.get("name", "")
        if not NAME_RE.match(name):
            raise openai_error("Missing required parameter: 'response_format.json_schema.name'.", "response_format")
        if spec.get("strict") and (problem := strict_schema_problem(spec.get("schema", {}))):
            raise openai_error(f"Invalid schema for response_format '{name}': {problem}", "response_format")


def check_llama_cpp_python(body: dict[str, Any]) -> None:
    fmt = body.get("response_format")
    if fmt is not None and fmt.get("type") not in ("text", "json_object"):
        # FastAPI's RequestValidationError, caught by RouteErrorHandler and reported as a 500.
        detail = (
            "[{'type': 'literal_error', 'loc': ('body', 'response_format', 'type'), "
            f"'msg': \"Input should be 'text' or 'json_object'\", 'input': '{fmt.get('type')}', "
            "'ctx': {'expected': \"'text' or 'json_object'\"}}]"
        )
        raise Refused(500, {"error": {"message": detail, "type": "internal_server_error", "param": None, "code": None}})


def check_llama_server(body: dict[str, Any]) -> None:
    fmt = body.get("response_format")
    kind = (fmt or {}).get("type", "")
    if kind and kind not in ("text", "json_object", "json_schema"):
        message = f'response_format type must be one of "text" or "json_object", but got: {kind}'
        raise Refused(400, {"error": {"code": 400, "message": message, "type": "invalid_request_error"}})


def check_vllm(body: dict[str, Any]) -> None:
    def bad(message: str) -> Refused:
        return Refused(400, {"error": {"message": message, "type": "BadRequestError", "param": None, "code": 400}})

    if body.get("stream_options") and not body.get("stream"):
        raise bad(
            "1 validation error for ChatCompletionRequest\n"
            "  Value error, Stream options can only be defined when `stream=True`."
        )
    fmt = body.get("response_format")
    if fmt is None:
        return
    if fmt.get("type") not in ("text", "json_object", "json_schema", "structural_tag"):
        raise bad(
            "1 validation error for ChatCompletionRequest\nresponse_format.type\n"
            "  Input should be 'text', 'json_object' or 'json_schema'"
        )
    if fmt.get("type") == "json_schema" and not (fmt.get("json_schema") or {}).get("name"):
        raise bad("1 validation error for ChatCompletionRequest\nresponse_format.json_schema.name\n  Field required")


def check_plain(body: dict[str, Any]) -> None:
    if "response_format" in body:
        raise openai_error(
            "Unsupported parameter: 'response_format'.", param="response_format", code="unsupported_parameter"
        )


def check(family: Family, body: dict[str, Any], reasoning: bool = False) -> None:
    """Raise `Refused` the way the family's server refuses this request."""
    if family == "openai":
        check_openai(body, reasoning)
    elif family == "llama-cpp-python":
        check_llama_cpp_python(body)
    elif family == "llama-server":
        check_llama_server(body)
    elif family == "vllm":
        check_vllm(body)
    elif family == "plain":
        check_plain(body)
    elif family != "ollama":
        raise ValueError(f"unknown server family {family!r}")


def token_cap(family: Family, body: dict[str, Any]) -> int | None:
    """The answer's token cap the family actually applies (None: unbounded)."""
    honoured = {
        "llama-cpp-python": ("max_tokens",),
        "ollama": ("max_tokens",),
    }.get(family, ("max_completion_tokens", "max_tokens"))
    for name in honoured:
        if body.get(name) is not None:
            return int(body[name])
    return None


def enforced_schema(family: Family, body: dict[str, Any]) -> dict[str, Any] | None:
    """The schema the family turns into a grammar for this request (None: none enforced)."""
    fmt = body.get("response_format") or {}
    kind = fmt.get("type")
    if kind == "json_schema" and family != "llama-cpp-python":
        schema: dict[str, Any] | None = (fmt.get("json_schema") or {}).get("schema")
        return schema
    if kind == "json_object" and family in ("llama-cpp-python", "llama-server"):
        return fmt.get("schema")
    return None


def streams_usage(family: Family, body: dict[str, Any]) -> bool:
    if family == "llama-cpp-python":
        return False
    return bool((body.get("stream_options") or {}).get("include_usage"))


def pings(family: Family) -> bool:
    """sse-starlette (llama-cpp-python) sends comment pings while the model has not answered yet."""
    return family == "llama-cpp-python"
