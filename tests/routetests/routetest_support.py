"""Shared by the route test suites: the hand-written designs, the oracle folder, a case from YAML."""

from __future__ import annotations

import os
import pathlib

import pytest
import yaml

from meshdesigner.io.importer import import_manifests
from meshdesigner.model.route_tests import RouteTestCase

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent.parent
DESIGNS = HERE / "designs"
SHOP = DESIGNS / "shop" / "shop.yaml"
ORACLE = pathlib.Path(os.environ.get("MESHDESIGNER_ORACLE", ROOT.parent / "shared" / "oracle"))
VALIDATOR = ORACLE / "istio-config-validator"


def validator_folder() -> pathlib.Path:
    """istio-config-validator's examples; skip with the reason when absent (fail under CI)."""
    if not VALIDATOR.is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"{VALIDATOR} is absent (CI is set: the oracle must be there)")
        pytest.skip(f"istio-config-validator's examples are absent ({VALIDATOR}; set MESHDESIGNER_ORACLE)")
    return VALIDATOR


def shop_project():
    return import_manifests([str(SHOP)], name="shop").project


def case(text: str) -> RouteTestCase:
    return RouteTestCase.model_validate(yaml.safe_load(text))
