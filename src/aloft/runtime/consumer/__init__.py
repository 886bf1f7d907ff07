"""Queue consumers outside Lambda: the same SQS handler, fed by a long-poll loop.

    python -m aloft.runtime.consumer shop.jobs.handler --queue shop-orders

`loop` receives messages, builds the event Lambda would send (the SQS source's own builder),
calls the Lambda handler with it and deletes exactly the records it did not report in
`batchItemFailures`; `probes` serves liveness, readiness and /metrics on the admin port. boto3
(the runtime's `aws` extra) is imported only when a consumer starts.
"""
