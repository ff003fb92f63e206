"""Sandboxed execution of student code: a zygote process inside Linux namespaces forks one child per exercise."""
