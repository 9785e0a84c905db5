"""Errors raised by the OpenAPI engine."""


class SpecError(ValueError):
    """A document that cannot be used: not YAML/JSON, not OpenAPI 3.0/3.1, invalid, a dangling
    `$ref`, or too large. `location` says where (a JSON pointer, or "line L, column C")."""

    def __init__(self, message: str, *, location: str = "", code: str = "invalid") -> None:
        super().__init__(message)
        self.message = message
        self.location = location
        self.code = code

    def __str__(self) -> str:
        return f"{self.message} (at {self.location})" if self.location else self.message

    def to_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message, "location": self.location}
