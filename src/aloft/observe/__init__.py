"""The last stage of the pipeline: what a deployed service says, wherever it runs."""
