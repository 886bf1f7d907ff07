"""Running the project on this machine: `aloft run`, `aloft profile` and `aloft lambda serve`.

`environment` finds the app's own interpreter (its uv-synced .venv), `server` hands the resolved
config to the runtime's server in that interpreter. Below the CLI, above config: the artifact
stages (image, kube, serverless, cost) never import it.
"""
