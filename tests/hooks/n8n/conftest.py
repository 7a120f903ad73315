"""Fixtures for the n8n reliability tests; they live in ``support/n8n_env.py``."""

from support.n8n_env import celery_env, celery_worker, fake_n8n, start_task_api  # noqa: F401
