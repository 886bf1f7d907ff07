"""Kubernetes: render manifests from the project config, validate and lint them, apply and roll out.

render (config -> objects) -> schema and lint (-> findings) -> apply and rollout (-> cluster).
"""
