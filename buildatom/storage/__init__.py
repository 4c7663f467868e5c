"""S3-compatible object storage (MinIO) through boto3."""
