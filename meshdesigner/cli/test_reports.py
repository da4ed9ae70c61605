"""Reports of ``meshdesigner test``: text for people, JSON for scripts, JUnit XML for CI systems."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

from ..analysis.route_tests import CaseResult, RequestResult


def _request_lines(res: RequestResult) -> list[str]:
    lines = [f"    request: {res.request.label()}  (at {res.observation.entry})"]
    for what, why in res.failures:
        lines.append(f"      simulator: {what}: {why}")
    if res.envoy is not None:
        for what, why in res.envoy_failures:
            lines.append(f"      envoy: {what}: {why}")
    if res.envoy_note and (res.failures or res.envoy_failures):
        lines.append(f"      envoy: not run: {res.envoy_note}")
    for why in res.disagreements:
        lines.append(f"      MESHDESIGNER DEFECT: the simulator and real Envoy disagree: {why}")
    if res.failures and res.observation.explanation:
        lines.append(f"      simulator says: {res.observation.explanation[-1]}")
    return lines


def format_text(results: list[CaseResult], envoy: bool) -> str:
    lines: list[str] = []
    for case in results:
        count = len(case.results)
        if case.passed:
            lines.append(f"PASS  {case.name}  ({count} request{'s' if count != 1 else ''})")
            continue
        lines.append(f"FAIL  {case.name}  [{case.source}]")
        if case.error:
            lines.append(f"    {case.error}")
        for res in case.results:
            if not res.passed:
                lines.extend(_request_lines(res))
    lines.append(summary(results, envoy))
    defects = sum(1 for c in results for r in c.results if r.disagreements)
    if defects:
        lines.append(f"!!! {defects} request(s) where the simulator and real Envoy disagree: a defect of "
                     "MeshDesigner (please report it).")
    return "\n".join(lines)


def summary(results: list[CaseResult], envoy: bool) -> str:
    failed = sum(1 for c in results if not c.passed)
    requests = sum(len(c.results) for c in results)
    how = "the simulator and real Envoy" if envoy else "the simulator"
    return (f"{len(results) - failed} passed, {failed} failed: {len(results)} test case(s), {requests} "
            f"request(s) through {how}")


def _observation(obs) -> dict | None:
    if obs is None:
        return None
    return {"entry": obs.entry, "outcome": obs.outcome, "status": obs.status, "backend": obs.backend,
            "virtual_service": obs.virtual_service, "destinations": obs.destinations, "location": obs.location,
            "upstream": obs.upstream}


def format_json(results: list[CaseResult], envoy: bool) -> str:
    cases = []
    for case in results:
        cases.append({
            "description": case.case.description, "source": case.source, "passed": case.passed,
            "error": case.error,
            "requests": [{"request": r.request.label(), "passed": r.passed,
                          "failures": [{"expectation": w, "why": y} for w, y in r.failures],
                          "envoy_failures": [{"expectation": w, "why": y} for w, y in r.envoy_failures],
                          "disagreements": r.disagreements, "envoy_note": r.envoy_note,
                          "simulator": _observation(r.observation), "envoy": _observation(r.envoy)}
                         for r in case.results]})
    return json.dumps({"summary": summary(results, envoy), "passed": all(c.passed for c in results),
                       "cases": cases}, indent=1, sort_keys=True)


def format_junit(results: list[CaseResult], envoy: bool, name: str = "meshdesigner test") -> str:
    """JUnit XML (the schema CI systems read: testsuites > testsuite > testcase > failure|error)."""
    failures = sum(1 for c in results if c.error is None and not c.passed)
    errors = sum(1 for c in results if c.error is not None)
    root = ET.Element("testsuites", name=name, tests=str(len(results)), failures=str(failures),
                      errors=str(errors), time="0")
    suites: dict[str, ET.Element] = {}
    for case in results:
        file = case.source.rpartition(":")[0] if ":" in case.source else (case.source or "project")
        suite = suites.get(file)
        if suite is None:
            suite = suites[file] = ET.SubElement(root, "testsuite", name=file, tests="0", failures="0",
                                                 errors="0", skipped="0", time="0")
        suite.set("tests", str(int(suite.get("tests")) + 1))
        item = ET.SubElement(suite, "testcase", name=case.name, classname=file, time="0")
        if case.error is not None:
            suite.set("errors", str(int(suite.get("errors")) + 1))
            ET.SubElement(item, "error", message=case.error, type="error").text = case.error
        elif not case.passed:
            suite.set("failures", str(int(suite.get("failures")) + 1))
            lines = [line for r in case.results if not r.passed for line in _request_lines(r)]
            defect = any(r.disagreements for r in case.results)
            ET.SubElement(item, "failure", message=case.first_failure() or "failed",
                          type="meshdesigner-defect" if defect else "expectation").text = "\n".join(lines)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


FORMATS = {"text": format_text, "json": format_json, "junit": format_junit}
