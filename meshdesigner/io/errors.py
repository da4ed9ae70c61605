"""Errors about input a user gave: they always name the file, and the line and field where known."""

from __future__ import annotations


class InputError(Exception):
    """Input MeshDesigner cannot read. ``str()`` is a complete message for the user."""

    def __init__(self, message: str, file: str | None = None, line: int | None = None,
                 field: str | None = None, resource: str | None = None) -> None:
        self.message = message
        self.file = file
        self.line = line
        self.field = field
        self.resource = resource
        super().__init__(self.__str__())

    def __str__(self) -> str:
        where = ""
        if self.file:
            where = self.file + (f":{self.line}" if self.line else "")
        parts = [p for p in (where, self.resource, self.field) if p]
        prefix = ": ".join(parts)
        text = f"{prefix}: {self.message}" if prefix else self.message
        return " ".join(text.splitlines())  # one line, whatever a file name or a library message holds
