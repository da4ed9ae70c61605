"""Child process of test_kill9: edits a design steadily and saves it or journals it, until killed.

    python kill9_child.py save PATH        # save_project(PATH) after every edit
    python kill9_child.py journal FOLDER   # a recovery journal in FOLDER, a snapshot after every edit

Prints ``<edit number> <time.time()>`` after each edit (flushed), so the parent knows what was done when.
"""

from __future__ import annotations

import sys
import time

from meshdesigner.io.project_file import load_project, save_project


def main() -> None:
    mode, target, seed = sys.argv[1], sys.argv[2], sys.argv[3]
    project = load_project(seed)
    node = next(iter(project))
    journal = None
    if mode == "journal":
        from meshdesigner.gui.recovery import Journal

        journal = Journal(target)
        print(f"folder {journal.folder}", flush=True)
    edit = 0
    while True:
        edit += 1
        project.replace_node(node.moved((float(edit), 0.0)))
        if journal is not None:
            journal.record(project.copy(), seed)
        else:
            save_project(project, target)
        print(f"{edit} {time.time()}", flush=True)
        time.sleep(0.02 if journal is not None else 0)


if __name__ == "__main__":
    main()
