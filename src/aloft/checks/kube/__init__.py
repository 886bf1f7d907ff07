"""`aloft k8s check`: schema validation and lint rules for Kubernetes manifests, on the findings
model, suppression mechanism and reporters shared with `aloft doctor`."""
