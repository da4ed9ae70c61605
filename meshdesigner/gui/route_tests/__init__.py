"""The editor's route tests: the Tests panel (every test with pass/fail, re-run after each edit off the
GUI thread) and "Save as test" on a tried request. :func:`.install.install` wires them into the window."""
