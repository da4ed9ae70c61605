"""Rule modules, one small file per area; every module here is imported by ``registry.load_rules()``.

Validation (issue 3) owns ``metadata``, ``gateway_*``, ``virtualservice_*``, ``serviceentry``,
``destinationrule``, ``binding``, ``destinations``, ``conflicts``, ``services``, ``delegates``,
``unknown_fields``; TLS rules go in ``tls_*.py`` (MD06xx), gateway functions in ``functions_*.py`` (MD07xx).
"""
