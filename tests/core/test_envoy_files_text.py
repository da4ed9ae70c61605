"""The files an exported Envoy config names, read from its text without a full parse (issue 16)."""

from meshdesigner.export.envoy.files import referenced_files

CONFIG = """# Envoy v3 static bootstrap (comment: filename: /not/this)
static_resources:
  listeners:
  - name: l
    filter_chains:
    - transport_socket:
        typed_config:
          common_tls_context:
            tls_certificates:
            - certificate_chain:
                filename: /etc/istio/credentials/a/tls.crt
              private_key:
                filename: '/etc/istio/credentials/a b/tls.key'
            validation_context:
              trusted_ca: {filename: /inline/flow/is/not/written/by/our/dumper}
  clusters:
  - filename: "/etc/jwks.json"
"""


def test_block_style_entries_are_found_quoted_or_not():
    assert referenced_files(CONFIG) == ["/etc/istio/credentials/a b/tls.key",
                                        "/etc/istio/credentials/a/tls.crt", "/etc/jwks.json"]


def test_a_config_naming_no_file():
    assert referenced_files("static_resources:\n  listeners: []\n") == []
