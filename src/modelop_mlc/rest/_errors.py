"""The error a request handler raises to answer with Camunda's error body."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["ApiError", "bad_request", "not_found"]


class ApiError(Exception):
    """Answer the request with `{"type": type, "message": message, "code": code}`.

    Args:
        status: The HTTP status.
        type: Camunda's exception class name (`InvalidRequestException`, `RestException`, ...).
        message: What went wrong and what to do.
        details: Extra body fields (Camunda's `ParseException` carries `details`).
        headers: Extra response headers.
        code: Camunda's error code (0: no specific code, as Camunda's built-in fallback).
    """

    def __init__(
        self,
        status: int,
        type: str,  # noqa: A002 - Camunda's field name
        message: str,
        *,
        details: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        code: int = 0,
    ) -> None:
        """Create the error."""
        super().__init__(message)
        self.status = status
        self.type = type
        self.message = message
        self.details = dict(details or {})
        self.headers = dict(headers or {})
        self.code = code

    def body(self) -> dict[str, Any]:
        """Return the JSON body Camunda sends for this error."""
        return {"type": self.type, "message": self.message, "code": self.code, **self.details}


def bad_request(message: str) -> ApiError:
    """Return a 400 `InvalidRequestException`."""
    return ApiError(400, "InvalidRequestException", message)


def not_found(message: str) -> ApiError:
    """Return a 404 `InvalidRequestException`, as Camunda answers for unknown ids."""
    return ApiError(404, "InvalidRequestException", message)
