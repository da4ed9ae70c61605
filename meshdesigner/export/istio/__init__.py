"""Istio and Kubernetes manifests from a design."""

from .manifests import API_VERSIONS, export_files, project_manifests, resource_filename

__all__ = ["API_VERSIONS", "export_files", "project_manifests", "resource_filename"]
