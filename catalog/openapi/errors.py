"""Errors raised by the OpenAPI engine."""

import functools


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


def guarded(what: str):
    """Decorate an engine entry point so that a document with an unexpected structure (a list
    where a mapping belongs, a number for a schema...) gives a SpecError, never a crash. Valid
    documents never reach the handler; it is the last line of defence for unvalidated input."""

    def decorate(function):
        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            try:
                return function(*args, **kwargs)
            except SpecError:
                raise
            except (
                AttributeError,
                TypeError,
                KeyError,
                IndexError,
                ValueError,
                OverflowError,  # int() of an infinite number
            ) as exc:
                raise SpecError(
                    f"Cannot {what}: the document has an unexpected structure ({type(exc).__name__}: {exc}).",
                    code="malformed",
                ) from exc
            except RecursionError as exc:
                raise SpecError(
                    f"Cannot {what}: the document is nested too deeply.", code="too_deep"
                ) from exc

        return wrapper

    return decorate
