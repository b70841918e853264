"""The HTTP service: FastAPI on uvicorn, over the same pipeline as ``analyzer score``.

Modules: ``app`` (routes, settings, ``serve``), ``auth`` (bearer tokens, rate limits),
``api_errors`` (JSON errors with codes), ``jobs`` (archive jobs on the batch engine),
``metrics`` (Prometheus, body limits), ``models`` (request/response schemas).
"""

from .app import ServiceSettings, app_from_env, create_app, serve

__all__ = ["ServiceSettings", "create_app", "serve", "app_from_env"]
