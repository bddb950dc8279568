"""The error answers Webflow gives: {"code", "message", "externalReference", "details"}."""
from __future__ import annotations


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, details: list | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.details = status, code, message, details or []

    def body(self) -> dict:
        return {"code": self.code, "message": self.message, "externalReference": None, "details": self.details}


def validation_error(details: list[dict], message: str = "Validation Error") -> ApiError:
    return ApiError(400, "validation_error", message, details)
