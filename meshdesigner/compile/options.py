"""What the compiler is told besides the design: which Istio version's behaviour to follow.

Istio changed some defaults between releases; the compiler follows ``CompileOptions.istio_version``
(from the project setting ``istio_version``; default :data:`DEFAULT_ISTIO_VERSION`, the newest
release whose CRDs are in the reference material). The version-dependent rules, each named after
the istiod code that decides it:

* 503 in the default retry policy's retriable status codes before 1.24 (``retry.DefaultPolicy``);
* the mirror host gets Envoy's ``-shadow`` suffix before 1.28 (``TranslateRequestMirrorPolicy``,
  ``DisableShadowHostSuffixAppend``);
* an inverted header match (``withoutHeaders``) treats a missing header as the empty string since
  1.22 (``TranslateRouteMatch``, ``TreatMissingHeaderAsEmpty``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

SUPPORTED_ISTIO_VERSIONS = ("1.20", "1.21", "1.22", "1.23", "1.24", "1.25", "1.26", "1.27", "1.28", "1.29",
                            "1.30")
DEFAULT_ISTIO_VERSION = SUPPORTED_ISTIO_VERSIONS[-1]


def version_tuple(version: str) -> tuple[int, int]:
    """``"1.24"`` (or ``"1.24.3"``) -> ``(1, 24)``; ValueError when unreadable."""
    parts = str(version).strip().split(".")
    if len(parts) < 2 or not all(p.isdigit() for p in parts[:2]):
        raise ValueError(f"Istio version {version!r} is not MAJOR.MINOR (e.g. 1.30)")
    return int(parts[0]), int(parts[1])


@dataclass(frozen=True)
class CompileOptions:
    """``istio_version``: MAJOR.MINOR of the Istio release whose behaviour the design follows."""

    istio_version: str = DEFAULT_ISTIO_VERSION

    @classmethod
    def for_project(cls, project) -> CompileOptions:
        """The options a project's settings ask for (``settings.istio_version``)."""
        version = getattr(project.settings, "istio_version", None) or DEFAULT_ISTIO_VERSION
        return cls(istio_version=version)

    def at_least(self, version: str) -> bool:
        return version_tuple(self.istio_version) >= version_tuple(version)

    @cached_property   # asked once per route: the version is parsed once
    def retries_503_by_default(self) -> bool:
        return not self.at_least("1.24")

    @cached_property   # asked once per route: the version is parsed once
    def mirror_shadow_suffix(self) -> bool:
        return not self.at_least("1.28")

    @cached_property   # asked once per route: the version is parsed once
    def missing_header_is_empty(self) -> bool:
        return self.at_least("1.22")
