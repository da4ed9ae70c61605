"""Findings about the input itself rather than a design (MD1008): an Istio object the model cannot hold.

``validate`` reads manifests leniently (:func:`meshdesigner.io.importer.import_manifests` with
``lenient=True``): such an object becomes one error on that object, with its file, line and field, and the
rest of the file is still checked.
"""

from __future__ import annotations

from ...model.resource import ResourceRef
from ..catalogue import MessageType
from ..diagnostic import ERROR, Diagnostic
from ..messages import register

OBJECT_NOT_READ = register(MessageType(
    "MD1008", "ObjectNotRepresentable", ERROR,
    template="{reason}; this object was not read, so it was not checked",
    explain="The object has a field MeshDesigner's model cannot hold (for example a route entry '- {}' "
            "without a destination, or a value of the wrong type). Istio's CRD schema or webhook rejects "
            "nearly all such objects (IST0106); the rest of the input is still checked. Fix the field named.",
    istio="IST0106"))


def rejected_object_diagnostic(rejected) -> Diagnostic:
    """One MD1008 finding for a :class:`~meshdesigner.io.manifests.RejectedObject`."""
    error = rejected.error
    diag = OBJECT_NOT_READ.at(ResourceRef(rejected.kind, rejected.namespace, rejected.name), error.field or "",
                              reason=error.message)
    return Diagnostic(diag.code, diag.istio_code, diag.severity, diag.resource, None, diag.path, diag.message,
                      error.file, error.line)
