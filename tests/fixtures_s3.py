"""S3 fixtures: a real S3-protocol server (moto in server mode, over HTTP)."""
