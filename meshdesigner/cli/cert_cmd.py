"""``meshdesigner cert create|inspect``: certificates for local trials, and what is inside a PEM file.

``cert create --hosts a.example.com,b.example.com --out DIR`` writes a credential folder:
``DIR/tls.crt`` + ``DIR/tls.key`` (the server certificate for those hosts), ``DIR/ca.crt`` (the CA that
signed it) and, when no ``--ca`` is given, ``DIR/ca.key`` (the new CA's key, to sign more later with
``--ca DIR``). That is the layout a ``credentialName`` folder has (``credentials/<name>/``), so
``export --with-secrets`` and the checks find it. Key files are created with mode 0600.
"""

from __future__ import annotations

import sys

from ..tls.checks import coverage, key_matches, validity_problem, weak_key, weak_signature
from ..tls.credentials import CredentialError, certificate_hosts, create_credential
from ..tls.inspect import (
    CertificateError,
    is_encrypted_key,
    key_description,
    load_certificates,
    load_private_key,
    load_private_key_file,
    summarize_certificate,
)
from . import EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, UsageError


def add_parser(sub) -> None:
    p = sub.add_parser("cert", help="create certificates for local trials, or inspect a certificate",
                       description="Create a local CA, server and client certificates, or show what a "
                                   "certificate file holds.")
    actions = p.add_subparsers(dest="cert_action", metavar="ACTION")

    create = actions.add_parser(
        "create", help="a server certificate for some hosts (and a CA, and client certificates)",
        description="Write DIR/tls.crt, DIR/tls.key (mode 0600) and DIR/ca.crt: a server certificate whose "
                    "subjectAltNames are the hosts, signed by a new CA (also DIR/ca.key) or by --ca. "
                    "The folder is what a credentialName folder looks like for --with-secrets.")
    create.add_argument("--hosts", required=True, metavar="H1,H2",
                        help="comma-separated host names (wildcards like *.example.com and IPs allowed)")
    create.add_argument("--out", required=True, metavar="DIR", help="folder to write into (created)")
    create.add_argument("--ca", metavar="DIR",
                        help="sign with DIR/ca.crt + DIR/ca.key (created there first if absent)")
    create.add_argument("--days", type=int, default=90, metavar="N",
                        help="validity of the server/client certificates in days (default 90)")
    create.add_argument("--client", action="append", default=[], metavar="NAME",
                        help="also write DIR/NAME.crt + DIR/NAME.key, a client certificate for MUTUAL "
                             "trials (repeatable)")
    create.add_argument("--passphrase-file", metavar="F",
                        help="encrypt the written keys with the passphrase in F (first line); also "
                             "decrypts an encrypted --ca key. Envoy and Istio need unencrypted keys.")
    create.add_argument("--force", action="store_true", help="replace existing certificate files")
    create.set_defaults(run=run_create)

    inspect = actions.add_parser(
        "inspect", help="show subject, SANs, issuer, validity, key and fingerprint of a PEM file",
        description="Print what a certificate (or chain) file holds; never prints key material. With "
                    "--key and --hosts also run the checks the analysis runs on a gateway's certificate.")
    inspect.add_argument("file", metavar="FILE")
    inspect.add_argument("--key", metavar="KEY", help="check that this private key matches the certificate")
    inspect.add_argument("--hosts", metavar="H1,H2", help="check that the certificate covers these hosts")
    inspect.add_argument("--passphrase-file", metavar="F", help="passphrase of an encrypted --key")
    inspect.add_argument("--warning-days", type=int, default=30, metavar="N",
                         help="warn when the certificate expires within N days (default 30)")
    inspect.set_defaults(run=run_inspect)
    p.set_defaults(run=lambda _args: (p.print_help(), EXIT_USAGE)[1])


def _hosts(text: str) -> list[str]:
    hosts = [h.strip() for h in text.split(",") if h.strip()]
    if not hosts:
        raise UsageError("--hosts lists no host")
    return hosts


def _passphrase(path: str | None) -> bytes | None:
    if not path:
        return None
    try:
        with open(path, "rb") as handle:
            secret = handle.readline().rstrip(b"\r\n")
    except OSError as exc:
        raise UsageError(f"cannot read the passphrase file {path}: {exc.strerror}") from None
    if not secret:
        raise UsageError(f"the passphrase file {path} is empty")
    return secret


def run_create(args) -> int:
    hosts = _hosts(args.hosts)
    try:
        created = create_credential(args.out, hosts, ca_dir=args.ca, days=args.days,
                                    clients=args.client, passphrase=_passphrase(args.passphrase_file),
                                    overwrite=args.force)
    except CredentialError as exc:
        message = str(exc).replace("(replace it explicitly)", "; pass --force to replace it")
        raise UsageError(message) from None
    for path in created.written:
        print(f"wrote {path}" + (" (private key, mode 0600)" if path.endswith(".key") else ""))
    print(summarize_certificate(created.server.cert).text)
    names = certificate_hosts(hosts)
    first = next((h for h in names if not h.startswith("*")), names[0].replace("*", "www", 1))
    print(f"try: curl --cacert {created.ca_cert_path} https://{first}/  "
          f"(use --resolve {first}:PORT:127.0.0.1 for a local gateway)")
    if args.passphrase_file:
        print("note: the keys are encrypted; Istio and Envoy need the unencrypted key", file=sys.stderr)
    return EXIT_OK


def _inspect_key(data: bytes, source: str, passphrase: bytes | None) -> int:
    if is_encrypted_key(data) and not passphrase:
        print(f"{source}: an encrypted private key (pass --passphrase-file to read it)")
        return EXIT_OK
    try:
        key = load_private_key(data, passphrase, source)
    except CertificateError as exc:
        raise UsageError(str(exc)) from None
    kind, size = key_description(key.public_key())
    print(f"{source}: a private key, {kind}" + (f" {size} bits" if size else "")
          + (" (encrypted)" if is_encrypted_key(data) else " (NOT encrypted)"))
    return EXIT_OK


def run_inspect(args) -> int:
    try:
        with open(args.file, "rb") as handle:
            data = handle.read()
    except OSError as exc:
        raise UsageError(f"cannot read {args.file}: {exc.strerror}") from None
    passphrase = _passphrase(args.passphrase_file)
    try:
        chain = load_certificates(data, args.file)
    except CertificateError as exc:
        if b"PRIVATE KEY" in data:
            return _inspect_key(data, args.file, passphrase)
        raise UsageError(str(exc)) from None
    for index, cert in enumerate(chain):
        if len(chain) > 1:
            print(f"certificate {index + 1} of {len(chain)}:")
        print("\n".join(summarize_certificate(cert, args.file).lines()))
    return _run_checks(args, chain, passphrase)


def _run_checks(args, chain, passphrase) -> int:
    leaf, findings = chain[0], []
    problem = validity_problem(leaf, warning_days=args.warning_days)
    if problem:
        findings.append(f"the certificate {problem.message}")
    findings += [f"weak key: {w}" for w in [weak_key(leaf)] if w]
    findings += [f"signed with {w.upper()}, which clients reject" for w in [weak_signature(leaf)] if w]
    if args.hosts:
        result = coverage(leaf, _hosts(args.hosts))
        findings += [f"the certificate does not cover {h}" for h in result.uncovered]
    if args.key:
        try:
            key = load_private_key_file(args.key, passphrase)
        except CertificateError as exc:
            raise UsageError(str(exc)) from None
        if not key_matches(leaf, key):
            findings.append(f"{args.key} is not the key of this certificate")
    for finding in findings:
        print(f"problem: {finding}")
    return EXIT_FINDINGS if findings else EXIT_OK
