"""What the AWS engines (s3, dynamodb, kinesis, redshift) share: the endpoint's AWS keys,
credentials and boto3 clients. Not an engine itself (it registers no EngineSpec)."""
