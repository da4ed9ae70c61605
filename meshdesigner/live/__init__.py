"""Running a design for real on this machine: Envoy serving the exported configuration on loopback,
echo backends behind it, throwaway certificates where the design names ones this machine lacks.

Qt-free; above ``export`` and ``tls`` (it imports them), below ``cli`` and ``gui``.

* :mod:`.envoy_process` — find Envoy, free ports, a bounded start and a clean stop;
* :mod:`.echo` — HTTP backends that answer with their name and the path, authority and headers they saw;
* :mod:`.certificates` — the files a bootstrap reads: copied when this machine has them, else throwaway;
* :mod:`.route_tests` — ``meshdesigner test --envoy``: the cases' requests through real Envoy.
"""
