"""Local MongoDB-protocol and S3 servers for tests and `make run`."""
