"""The pydantic base every Istio/Kubernetes shape in the model derives from.

Field names are snake_case in Python and camelCase on the wire (as Kubernetes writes them).
Unknown fields are kept (``extra="allow"``) and written back unchanged, so nothing a user
imported is ever dropped, even where the model does not know the field.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel

# Plain JSON-like values for the parts the model keeps verbatim.
Json = Any


class WireModel(BaseModel):
    """Frozen, camelCase-on-the-wire model that keeps unknown fields verbatim."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="allow",
        frozen=True,
        validate_default=False,
        ser_json_inf_nan="constants",
    )

    def to_wire(self) -> dict[str, Any]:
        """The manifest form: camelCase keys, unset (None) fields left out, unknown fields kept."""
        return self.model_dump(by_alias=True, exclude_none=True, mode="json")

    @classmethod
    def from_wire(cls, data: Any):
        """Build from a manifest mapping (camelCase keys)."""
        return cls.model_validate(data)

    def unknown_fields(self) -> dict[str, Any]:
        """Fields this model does not know (kept verbatim); analysis flags them."""
        return dict(self.__pydantic_extra__ or {})
