"""Istio's security, telemetry and EnvoyFilter resources as first-class resources of a design.

AuthorizationPolicy, RequestAuthentication, PeerAuthentication (``security.istio.io``), Telemetry
(``telemetry.istio.io``) and EnvoyFilter (``networking.istio.io``) are held by the
:class:`~meshdesigner.model.project.Project` (``project.policies``), whoever wrote them: imported
hand-written YAML and policies edited in the app are the same objects. Like every wire model here
they are frozen, camelCase on the wire and keep unknown fields verbatim, so an import followed by an
export gives back the same object. Each remembers the ``apiVersion`` it was written in (every
version Istio serves: security v1/v1beta1, telemetry v1/v1alpha1, EnvoyFilter v1alpha3) and is
written back in it.

Enum-like fields (``action``, ``applyTo``, ``operation``...) are plain strings: a bad value is a
diagnostic (MD09xx), never a load error. Which gateways a resource applies to is decided in
:mod:`meshdesigner.model.policy_attach`.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field, StrictBool, StrictInt, StrictStr, field_validator

from .base import Json, WireModel
from .resource import Resource

SECURITY_GROUP = "security.istio.io"
TELEMETRY_GROUP = "telemetry.istio.io"
NETWORKING_GROUP = "networking.istio.io"

AUTHZ_ACTIONS = ("ALLOW", "DENY", "AUDIT", "CUSTOM")


class WorkloadSelector(WireModel):
    """``selector: {matchLabels: {...}}`` (security and telemetry kinds)."""

    match_labels: dict[str, StrictStr] | None = None


class PolicyTargetReference(WireModel):
    """``targetRef``/``targetRefs`` entry: group, kind, name (and namespace, which Istio requires to be the policy's)."""

    group: StrictStr | None = None
    kind: StrictStr | None = None
    name: StrictStr | None = None
    namespace: StrictStr | None = None


class Source(WireModel):
    principals: list[StrictStr] | None = None
    not_principals: list[StrictStr] | None = None
    request_principals: list[StrictStr] | None = None
    not_request_principals: list[StrictStr] | None = None
    namespaces: list[StrictStr] | None = None
    not_namespaces: list[StrictStr] | None = None
    ip_blocks: list[StrictStr] | None = None
    not_ip_blocks: list[StrictStr] | None = None
    remote_ip_blocks: list[StrictStr] | None = None
    not_remote_ip_blocks: list[StrictStr] | None = None
    service_accounts: list[StrictStr] | None = None
    not_service_accounts: list[StrictStr] | None = None


class Operation(WireModel):
    hosts: list[StrictStr] | None = None
    not_hosts: list[StrictStr] | None = None
    ports: list[StrictStr] | None = None
    not_ports: list[StrictStr] | None = None
    methods: list[StrictStr] | None = None
    not_methods: list[StrictStr] | None = None
    paths: list[StrictStr] | None = None
    not_paths: list[StrictStr] | None = None


class RuleFrom(WireModel):
    source: Source | None = None


class RuleTo(WireModel):
    operation: Operation | None = None


class Condition(WireModel):
    """``when: [{key, values, notValues}]``."""

    key: StrictStr
    values: list[StrictStr] | None = None
    not_values: list[StrictStr] | None = None


class AuthorizationRule(WireModel):
    from_: list[RuleFrom] | None = Field(default=None, alias="from")
    to: list[RuleTo] | None = None
    when: list[Condition] | None = None


class ExtensionProvider(WireModel):
    name: StrictStr | None = None


class AuthorizationPolicySpec(WireModel):
    selector: WorkloadSelector | None = None
    target_ref: PolicyTargetReference | None = None
    target_refs: list[PolicyTargetReference] | None = None
    rules: list[AuthorizationRule] | None = None
    action: StrictStr | None = None   # unset = ALLOW
    provider: ExtensionProvider | None = None

    @property
    def effective_action(self) -> str:
        return self.action or "ALLOW"


class JWTHeader(WireModel):
    name: StrictStr
    prefix: StrictStr | None = None


class ClaimToHeader(WireModel):
    header: StrictStr
    claim: StrictStr


class JWTRule(WireModel):
    """One accepted issuer (``spec.jwtRules[]``)."""

    issuer: StrictStr
    audiences: list[StrictStr] | None = None
    jwks_uri: StrictStr | None = None
    jwks: StrictStr | None = None
    from_headers: list[JWTHeader] | None = None
    from_params: list[StrictStr] | None = None
    from_cookies: list[StrictStr] | None = None
    output_payload_to_header: StrictStr | None = None
    forward_original_token: StrictBool | None = None
    output_claim_to_headers: list[ClaimToHeader] | None = None
    space_delimited_claims: list[StrictStr] | None = None
    timeout: StrictStr | None = None



class RequestAuthenticationSpec(WireModel):
    selector: WorkloadSelector | None = None
    target_ref: PolicyTargetReference | None = None
    target_refs: list[PolicyTargetReference] | None = None
    jwt_rules: list[JWTRule] | None = None


class PeerMtls(WireModel):
    mode: StrictStr | None = None


class PeerAuthenticationSpec(WireModel):
    selector: WorkloadSelector | None = None
    mtls: PeerMtls | None = None
    port_level_mtls: dict[str, PeerMtls] | None = None

    @field_validator("port_level_mtls", mode="before")
    @classmethod
    def _port_keys_as_text(cls, value):
        """YAML writes the port numbers as keys (``8080:``); the API server stores them as strings."""
        return {str(k): v for k, v in value.items()} if isinstance(value, dict) else value


class ProviderRef(WireModel):
    name: StrictStr


class AccessLogFilter(WireModel):
    expression: StrictStr | None = None


class AccessLogging(WireModel):
    providers: list[ProviderRef] | None = None
    disabled: StrictBool | None = None
    filter: AccessLogFilter | None = None
    match: dict[str, Json] | None = None


class TelemetrySpec(WireModel):
    selector: WorkloadSelector | None = None
    target_ref: PolicyTargetReference | None = None
    target_refs: list[PolicyTargetReference] | None = None
    access_logging: list[AccessLogging] | None = None


class EnvoyFilterMatch(WireModel):
    """``match`` of a config patch; ``listener``/``routeConfiguration``/``cluster`` kept as plain mappings
    (their keys are read by :mod:`meshdesigner.export.envoy.envoyfilter` exactly as Istio names them)."""

    context: StrictStr | None = None
    proxy: dict[str, Json] | None = None
    listener: dict[str, Json] | None = None
    route_configuration: dict[str, Json] | None = None
    cluster: dict[str, Json] | None = None


class EnvoyFilterPatch(WireModel):
    operation: StrictStr | None = None
    value: Json = None
    filter_class: StrictStr | None = None


class EnvoyConfigObjectPatch(WireModel):
    apply_to: StrictStr | None = None
    match: EnvoyFilterMatch | None = None
    patch: EnvoyFilterPatch | None = None


class EnvoyFilterWorkloadSelector(WireModel):
    labels: dict[str, StrictStr] | None = None


class EnvoyFilterSpec(WireModel):
    workload_selector: EnvoyFilterWorkloadSelector | None = None
    target_refs: list[PolicyTargetReference] | None = None
    config_patches: list[EnvoyConfigObjectPatch] | None = None
    priority: StrictInt | None = None


class PolicyResource(Resource):
    """A security/telemetry/EnvoyFilter resource: remembers the ``apiVersion`` it was written in."""

    API_VERSIONS: ClassVar[tuple[str, ...]] = ()
    api_version: StrictStr | None = None

    @property
    def selector_labels(self) -> dict[str, str] | None:
        """The workload selector's labels; None when the resource has no selector (namespace-wide)."""
        selector = getattr(self.spec, "selector", None)
        if selector is None:
            return None
        return dict(selector.match_labels or {})

    @property
    def target_refs(self) -> list[PolicyTargetReference]:
        """``targetRefs``, or the legacy single ``targetRef`` (istiod's ``GetTargetRefs``)."""
        refs = list(getattr(self.spec, "target_refs", None) or [])
        legacy = getattr(self.spec, "target_ref", None)
        if not refs and legacy is not None:
            refs = [legacy]
        return refs

    def manifest(self, api_version: str | None = None) -> dict:
        """The manifest, in the version it was written in (else the newest Istio serves)."""
        body = self.to_wire()
        body.pop("apiVersion", None)
        version = self.api_version or f"{self.API_GROUP}/{self.API_VERSIONS[0]}"
        return {"apiVersion": version, "kind": self.KIND, **body}


class AuthorizationPolicy(PolicyResource):
    KIND: ClassVar[str] = "AuthorizationPolicy"
    API_GROUP: ClassVar[str] = SECURITY_GROUP
    API_VERSIONS: ClassVar[tuple[str, ...]] = ("v1", "v1beta1")
    spec: AuthorizationPolicySpec = AuthorizationPolicySpec()


class RequestAuthentication(PolicyResource):
    KIND: ClassVar[str] = "RequestAuthentication"
    API_GROUP: ClassVar[str] = SECURITY_GROUP
    API_VERSIONS: ClassVar[tuple[str, ...]] = ("v1", "v1beta1")
    spec: RequestAuthenticationSpec = RequestAuthenticationSpec()


class PeerAuthentication(PolicyResource):
    KIND: ClassVar[str] = "PeerAuthentication"
    API_GROUP: ClassVar[str] = SECURITY_GROUP
    API_VERSIONS: ClassVar[tuple[str, ...]] = ("v1", "v1beta1")
    spec: PeerAuthenticationSpec = PeerAuthenticationSpec()


class Telemetry(PolicyResource):
    KIND: ClassVar[str] = "Telemetry"
    API_GROUP: ClassVar[str] = TELEMETRY_GROUP
    API_VERSIONS: ClassVar[tuple[str, ...]] = ("v1", "v1alpha1")
    spec: TelemetrySpec = TelemetrySpec()


class EnvoyFilter(PolicyResource):
    KIND: ClassVar[str] = "EnvoyFilter"
    API_GROUP: ClassVar[str] = NETWORKING_GROUP
    API_VERSIONS: ClassVar[tuple[str, ...]] = ("v1alpha3",)
    spec: EnvoyFilterSpec = EnvoyFilterSpec()

    @property
    def selector_labels(self) -> dict[str, str] | None:
        selector = self.spec.workload_selector
        return None if selector is None else dict(selector.labels or {})


POLICY_TYPES: dict[str, type[PolicyResource]] = {
    cls.KIND: cls for cls in (AuthorizationPolicy, RequestAuthentication, PeerAuthentication, Telemetry, EnvoyFilter)
}


def policy_type(api_version: Any, kind: Any) -> type[PolicyResource] | None:
    """The policy class for a manifest's ``apiVersion``/``kind``, or None (not one of these kinds)."""
    cls = POLICY_TYPES.get(kind) if isinstance(kind, str) else None
    if cls is None or not isinstance(api_version, str):
        return None
    group, _, _version = api_version.rpartition("/")
    return cls if group == cls.API_GROUP else None


def policy_from_manifest(manifest: dict) -> PolicyResource:
    """A typed policy from a manifest mapping (raises ``ValueError``/``ValidationError`` on a bad shape)."""
    cls = policy_type(manifest.get("apiVersion"), manifest.get("kind"))
    if cls is None:
        raise ValueError(f"not a security, telemetry or EnvoyFilter resource: {manifest.get('kind')!r}")
    body = {k: v for k, v in manifest.items() if k != "kind"}
    return cls.model_validate(body)
