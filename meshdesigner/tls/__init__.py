"""TLS certificates: inspect, check against a gateway's hosts, generate for local trials (Qt-free).

See :mod:`meshdesigner.tls.generate` for the CA/server/client factories and :func:`write_pair`.
"""
