"""WireMock 4's message mappings (WebSocket stubs) as pydantic models, read into :class:`MessageStub`.

The shape follows WireMock's ``wiremock-message-stub-mapping`` schema: a ``trigger`` (``message`` with
a ``channel`` pattern on the handshake and a ``message.body`` pattern, or ``http-request``) and a list of
``actions`` (``send`` with a ``message.body`` and a ``channelTarget``). mockpit adds what WireMock 4 has no
field for, each marked below: an ``open`` trigger, ``close`` actions, per-action delays and repetition,
JSON message bodies and a ``subprotocol`` to accept.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import Field, ValidationError, field_validator, model_validator

from mockpit._errors import MappingError
from mockpit._model import MessageAction, MessageStub, RequestPattern

from .errors import did_you_mean, known_fields, lone_surrogate, mapping_error
from .models import TRANSFORMERS, _BodyPatternModel, _RequestModel, _Strict, check_base64


class _ChannelModel(_Strict):
    """Which connections: WireMock's channel pattern (``type`` and the handshake's request pattern)."""

    type: Literal["websocket"] = "websocket"
    initiatingRequestPattern: _RequestModel | None = None
    #: mockpit: the subprotocol the client must offer (``Sec-WebSocket-Protocol``), selected on accept
    subprotocol: str | None = Field(None, min_length=1)


class _MessagePatternModel(_Strict):
    #: WireMock also allows the channel's request pattern here
    channel: _RequestModel | None = None
    body: _BodyPatternModel | None = None


class _TriggerModel(_Strict):
    type: Literal["message", "open", "http-request"] = "message"
    channel: _ChannelModel | None = None
    message: _MessagePatternModel | None = None
    requestPattern: _RequestModel | None = None
    stubId: str | None = None

    @model_validator(mode="after")
    def _fits(self) -> _TriggerModel:
        if self.stubId is not None:
            raise ValueError(
                "http-stub triggers (stubId) are not supported by mockpit yet; use an http-request trigger "
                "with the stub's request pattern as requestPattern"
            )
        if self.type == "http-request" and self.requestPattern is None:
            raise ValueError("an http-request trigger needs a requestPattern: the HTTP request that starts it")
        if self.type != "http-request" and self.requestPattern is not None:
            raise ValueError('requestPattern belongs to an "http-request" trigger; for connections use channel')
        if self.type != "message" and self.message is not None:
            raise ValueError(f'a "{self.type}" trigger has no message to match; remove message or use "message"')
        return self


def _json_value(schema: dict[str, Any]) -> None:
    schema.pop("default", None)  # null is "not given", which the type below leaves out
    schema["type"] = ["object", "array", "string", "number", "boolean"]


class _BodyModel(_Strict):
    """A message: ``data`` (text, a template), ``jsonBody`` (mockpit) or base64 ``data`` with ``isBinary``."""

    data: str | None = None
    isBinary: bool | None = None
    base64Data: str | None = None
    # a JSON value; null means "not given". Spelled out for the admin API's document, where an unconstrained
    # schema has no complement for property-based testers to generate wrong values from
    jsonBody: Any = Field(None, json_schema_extra=_json_value)

    _base64 = field_validator("base64Data")(check_base64)

    @model_validator(mode="after")
    def _one(self) -> _BodyModel:
        given = [name for name in ("data", "base64Data", "jsonBody") if getattr(self, name) is not None]
        if len(given) > 1:
            raise ValueError(f"give one of data, base64Data or jsonBody, not {' and '.join(given)}")
        if self.isBinary and self.data is not None:
            check_base64(self.data)
        return self


class _MessageDefinitionModel(_Strict):
    body: _BodyModel = Field(default_factory=_BodyModel)


class _TargetModel(_Strict):
    type: Literal["originating", "request-initiated"] = "originating"
    channelType: Literal["websocket"] | None = None
    requestPattern: _RequestModel | None = None

    @model_validator(mode="after")
    def _pattern(self) -> _TargetModel:
        if self.type == "request-initiated" and self.requestPattern is None:
            raise ValueError("a request-initiated channelTarget needs a requestPattern naming the connections")
        return self


class _ActionModel(_Strict):
    type: Literal["send", "close"] = "send"
    message: _MessageDefinitionModel | None = None
    channelTarget: _TargetModel | None = None
    transformers: list[str] | None = None
    transformerParameters: dict[str, Any] | None = None
    # mockpit: when, how often, and closing
    delayMilliseconds: int | None = Field(None, ge=0, le=3_600_000)
    repeatEveryMilliseconds: int | None = Field(None, ge=1, le=3_600_000)
    repeatTimes: int | None = Field(None, ge=1)
    code: int | None = Field(None, ge=1000, le=4999)
    reason: str | None = Field(None, max_length=123)  # a close frame holds 125 bytes, two of them the code

    @field_validator("transformers")
    @classmethod
    def _transformers(cls, value: list[str] | None) -> list[str] | None:
        for name in value or ():
            if name not in (*TRANSFORMERS, "message-template"):
                raise ValueError(f"unknown transformer {name!r}; mockpit has message-template (Handlebars) and jinja")
        return value

    @model_validator(mode="after")
    def _fits(self) -> _ActionModel:
        if self.type == "send" and self.message is None:
            raise ValueError('a "send" action needs a message: {"message": {"body": {"data": "..."}}}')
        if self.type == "close" and (self.message is not None or self.repeatEveryMilliseconds is not None):
            raise ValueError('a "close" action sends no message and does not repeat; give code and reason')
        if self.repeatTimes is not None and self.repeatEveryMilliseconds is None:
            raise ValueError("repeatTimes needs repeatEveryMilliseconds, the interval between the repeats")
        if self.type == "send" and (self.code is not None or self.reason is not None):
            raise ValueError('code and reason belong to a "close" action')
        return self

    def to_model(self) -> MessageAction:
        target: RequestPattern | None = None
        if self.channelTarget is not None and self.channelTarget.type == "request-initiated":
            assert self.channelTarget.requestPattern is not None
            target = self.channelTarget.requestPattern.to_model()
        common: dict[str, Any] = {
            "delay_ms": self.delayMilliseconds or 0,
            "every_ms": self.repeatEveryMilliseconds,
            "times": self.repeatTimes,
            "target": target,
            "transformers": tuple(self.transformers or ()),
            "transformer_parameters": self.transformerParameters,
        }
        if self.type == "close":
            return MessageAction("close", close_code=self.code or 1000, close_reason=self.reason or "", **common)
        assert self.message is not None
        body = self.message.body
        if body.base64Data is not None or body.isBinary:
            return MessageAction(binary=body.base64Data if body.base64Data is not None else body.data, **common)
        if body.jsonBody is not None:
            return MessageAction(json=body.jsonBody, **common)
        return MessageAction(text=body.data or "", **common)


class _MessageStubModel(_Strict):
    id: str | None = None
    uuid: str | None = None
    name: str | None = None
    priority: int | None = Field(None, ge=1)
    metadata: dict[str, Any] | None = None
    trigger: _TriggerModel = Field(default_factory=_TriggerModel)
    actions: list[_ActionModel] = Field(default_factory=list)
    insertionIndex: int | None = None  # written by WireMock; order is mockpit's own

    @model_validator(mode="after")
    def _ids(self) -> _MessageStubModel:
        if self.id and self.uuid and self.id != self.uuid:
            raise ValueError(f"id {self.id!r} and uuid {self.uuid!r} differ; give one of them")
        return self

    def to_model(self, stub_id: str | None) -> MessageStub:
        trigger = self.trigger
        channel = trigger.channel
        pattern = channel.initiatingRequestPattern if channel is not None else None
        if pattern is None and trigger.message is not None:
            pattern = trigger.message.channel
        body = trigger.message.body if trigger.message is not None else None
        kwargs: dict[str, Any] = {}
        chosen = stub_id or self.id or self.uuid
        if chosen:
            kwargs["id"] = chosen
        return MessageStub(
            channel=pattern.to_model() if pattern is not None else RequestPattern(),
            trigger=trigger.type,
            body=body.to_model() if body is not None else None,
            http_request=trigger.requestPattern.to_model() if trigger.requestPattern is not None else None,
            subprotocol=channel.subprotocol if channel is not None else None,
            actions=tuple(action.to_model() for action in self.actions),
            name=self.name,
            priority=self.priority,
            metadata=self.metadata,
            **kwargs,
        )


def _unknown_field(loc: tuple[str | int, ...]) -> str:
    key = str(loc[-1]) if loc else "?"
    hint = did_you_mean(key, known_fields(_MessageStubModel, loc[:-1]))
    return f"unknown field {key!r}{hint or '; check its spelling against the WireMock message mapping format'}"


def message_stub_from_mapping(data: Any, *, source: str = "message mapping", stub_id: str | None = None) -> MessageStub:
    """Validate one WireMock message mapping (a dict) and return the :class:`MessageStub` it defines.

    Raises :class:`MappingError` naming ``source`` and the offending field.
    """
    if not isinstance(data, Mapping):
        raise MappingError(f"a message mapping must be a JSON object, got {type(data).__name__}", source=source)
    where = lone_surrogate(data)
    if where is not None:
        raise MappingError("holds a lone surrogate, which no message can carry", source=source, field=where)
    try:
        model = _MessageStubModel.model_validate(data)
    except ValidationError as exc:
        raise mapping_error(exc, data, wording={"extra_forbidden": _unknown_field}, source=source) from None
    return model.to_model(stub_id)


def message_stubs_from_document(data: Any, *, source: str) -> list[MessageStub]:
    """A message mapping file's content: one message mapping, or ``{"messageMappings": [...]}``."""
    if isinstance(data, Mapping) and "messageMappings" in data:
        items = data["messageMappings"]
        if not isinstance(items, list):
            raise MappingError("must be a list of message mappings", source=source, field=("messageMappings",))
        stubs = []
        for i, item in enumerate(items):
            try:
                stubs.append(message_stub_from_mapping(item, source=source))
            except MappingError as exc:
                raise exc.within("messageMappings", i) from None
        return stubs
    return [message_stub_from_mapping(data, source=source)]


def binary_of(action: MessageAction) -> bytes:
    """The bytes of a binary message (checked as base64 when the mapping was read)."""
    return base64.b64decode(action.binary or "")
