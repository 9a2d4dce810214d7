"""autograder/worker.py: what a worker does when a kernel will not start."""

from __future__ import annotations

from autograder import worker
from autograder.preprocessors.restorecells import SourceCells


def _job() -> worker.Job:
    source = worker.NotebookSource("toy", SourceCells(cells=()))
    return worker.Job(student_id="s", assignment="01_toy", files=(("toy.ipynb", b"{}"),),
                      sources=(source,), timeout=5, memory_mb=None)


def test_a_kernel_that_fails_to_start_is_started_again(monkeypatch):
    calls = []

    def flaky(job, source, submitted, tmp, zygote):
        calls.append(source.name)
        if len(calls) < worker.KERNEL_START_ATTEMPTS:
            raise worker.KernelStartError("Kernel didn't respond in 30 seconds")
        return worker.NotebookOutcome(source.name)

    monkeypatch.setattr(worker, "_execute_notebook", flaky)
    outcomes = worker.run_job(_job())
    assert len(calls) == worker.KERNEL_START_ATTEMPTS
    assert [(o.name, o.problems) for o in outcomes] == [("toy", [])]


def test_a_kernel_that_never_starts_costs_one_row_with_the_graders_reason(monkeypatch):
    def never(job, source, submitted, tmp, zygote):
        raise worker.KernelStartError("Kernel didn't respond in 30 seconds")

    monkeypatch.setattr(worker, "_execute_notebook", never)
    outcomes = worker.run_job(_job())
    assert outcomes[0].problems == ["the grader could not start a kernel for this notebook"]
