"""Write and verify the stored values of the notebooks' visible tests (helpers/expected).

Each notebook with stored cases has a module ``expected_NN.py`` next to this
one, defining ``cases(ns) -> {test_id: {"values": {...}, "mistakes": {...}}}``
where ``ns`` is the namespace of the reference solution (its setup cell and
solution cells). ``values`` holds a test's inputs and the values a right answer
returns on them; ``mistakes`` maps an output's name to ``{label: value}`` for
the known mistakes the test names.

    python -m tests.notebooks.expected_cases              # rewrite every stored file
    python -m tests.notebooks.expected_cases 03_vanilla_rnn

``test_expected_values.py`` proves the stored files agree with the solutions.
"""

from __future__ import annotations

import importlib
import json
import sys

from helpers import expected

from . import cells


def modules() -> dict[str, object]:
    """Notebook folder -> its ``expected_NN`` module, for the notebooks that have one."""
    found = {}
    for path in cells.course_notebooks(cells.SOLUTIONS):
        topic = path.parent.name
        try:
            found[topic] = importlib.import_module(f"tests.notebooks.expected_{topic[:2]}")
        except ModuleNotFoundError as error:
            if error.name != f"tests.notebooks.expected_{topic[:2]}":
                raise
    return found


def build(topic: str) -> dict:
    """The cases of ``topic``, computed from its reference solution, encoded for JSON."""
    module = modules()[topic]
    source = next((cells.SOLUTIONS / topic).glob("*.ipynb"))
    namespace = cells.base_namespace(cells.read(source))
    built = {}
    for test, stored in module.cases(namespace).items():
        unknown = set(stored) - {"values", "mistakes"}
        if unknown:
            raise ValueError(f"{topic} {test}: unknown keys {sorted(unknown)}")
        built[test] = {
            "values": {name: expected.encode(v) for name, v in stored.get("values", {}).items()},
            "mistakes": {name: {label: expected.encode(v) for label, v in wrong.items()}
                         for name, wrong in stored.get("mistakes", {}).items()},
        }
    return built


def write(topic: str) -> None:
    text = json.dumps(build(topic), indent=1, sort_keys=True)
    expected.path_of(topic).write_text(text + "\n", encoding="utf-8")


def main(argv: list[str]) -> int:
    topics = argv or sorted(modules())
    for topic in topics:
        write(topic)
        print(f"wrote {expected.path_of(topic)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
