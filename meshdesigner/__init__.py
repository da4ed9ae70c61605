"""MeshDesigner: design the edge of an Istio service mesh."""

__version__ = "0.1.0"
