"""MD0730: a local rate limit EnvoyFilter whose token bucket Envoy rejects.

Any EnvoyFilter the Functions view recognises as a local rate limit (by shape, hand-written ones
included: :func:`meshdesigner.model.functions_view.rate_limit_buckets`) is checked bucket by bucket
against what Envoy's ``local_ratelimit`` filter accepts (``TokenBucket`` validation: ``max_tokens`` and
``tokens_per_fill`` at least 1, ``fill_interval`` at least 50 ms; ``status.code`` one of the
``HttpStatus`` values Envoy defines). istiod passes the patch through untouched, so Envoy would NACK it.
"""

from __future__ import annotations

from ...compile.units import duration_seconds
from ...model.functions_view import ENVOY_STATUS_NAMES, rate_limit_buckets
from ...model.security import EnvoyFilter
from ..registry import DESIGN, rule
from . import functions_messages as fm

MIN_FILL_INTERVAL = 0.05  # Envoy's local_ratelimit rejects fill intervals under 50ms


@rule("functions.rate_limit_buckets", codes=("MD0730",), scope=DESIGN)
def rate_limit_buckets_valid(ctx):
    for policy in ctx.project.policies:
        if not isinstance(policy, EnvoyFilter):
            continue
        for bucket in rate_limit_buckets(policy) or []:
            path = f"spec.configPatches[{bucket.patch_index}].patch.value"
            if bucket.tokens_per_fill < 1:
                yield fm.RATE_LIMIT_INVALID.at(policy.ref, path, field="token_bucket.tokens_per_fill",
                                               reason=f"{bucket.tokens_per_fill} is less than 1")
            if bucket.max_tokens < 1:
                yield fm.RATE_LIMIT_INVALID.at(policy.ref, path, field="token_bucket.max_tokens",
                                               reason=f"{bucket.max_tokens} is less than 1")
            seconds = duration_seconds(bucket.fill_interval)
            if seconds is None:
                yield fm.RATE_LIMIT_INVALID.at(policy.ref, path, field="token_bucket.fill_interval",
                                               reason=f"{bucket.fill_interval!r} is not a duration such as 1s")
            elif seconds < MIN_FILL_INTERVAL:
                yield fm.RATE_LIMIT_INVALID.at(policy.ref, path, field="token_bucket.fill_interval",
                                               reason=f"{bucket.fill_interval} is shorter than Envoy's minimum "
                                                      "of 50ms")
            if bucket.status not in ENVOY_STATUS_NAMES:
                yield fm.RATE_LIMIT_INVALID.at(policy.ref, path, field="status.code",
                                               reason=f"{bucket.status} is not an HTTP error status Envoy defines "
                                                      "(400-417, 421-424, 426, 428, 429, 431, 500-508, 510, 511)")
