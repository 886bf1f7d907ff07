"""AWS Lambda tooling: package -> template -> deploy, and the Docker-free local emulator."""
