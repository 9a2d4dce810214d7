"""autograder/worker.py: what a worker does when a kernel will not start."""

from __future__ import annotations

from pathlib import Path

from autograder import worker


def _job(tmp_path: Path) -> worker.Job:
    return worker.Job(student_id="s", assignment="01_toy", notebooks=("toy",),
                      submitted=tmp_path / "in", autograded=tmp_path / "out", db_url="sqlite://",
                      timeout=5, memory_mb=None, deny=())


def test_a_kernel_that_fails_to_start_is_started_again(tmp_path, monkeypatch):
    calls = []

    def flaky(job, name, tmp):
        calls.append(name)
        if len(calls) < worker.KERNEL_START_ATTEMPTS:
            raise worker.KernelStartError("Kernel didn't respond in 30 seconds")
        return worker.NotebookOutcome(name)

    monkeypatch.setattr(worker, "_execute_notebook", flaky)
    outcomes = worker.run_job(_job(tmp_path))
    assert len(calls) == worker.KERNEL_START_ATTEMPTS
    assert [(o.name, o.problems) for o in outcomes] == [("toy", [])]


def test_a_kernel_that_never_starts_costs_one_row_with_the_graders_reason(tmp_path, monkeypatch):
    def never(job, name, tmp):
        raise worker.KernelStartError("Kernel didn't respond in 30 seconds")

    monkeypatch.setattr(worker, "_execute_notebook", never)
    outcomes = worker.run_job(_job(tmp_path))
    assert outcomes[0].problems == ["the grader could not start a kernel for this notebook"]
