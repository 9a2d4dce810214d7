"""nbgrader settings for the course: instructors' sources live in solutions/, the
student release in notebooks/. The autograder passes the same settings on the
command line, so this file matters only to plain `nbgrader` commands."""

c = get_config()  # noqa: F821 (provided by traitlets when nbgrader loads this file)

c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "notebooks"
c.CourseDirectory.root = "."
