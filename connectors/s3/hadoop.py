"""s3a:// for Spark: the hadoop-aws package and per-bucket Hadoop settings for an endpoint.

Settings are per bucket (``fs.s3a.bucket.<bucket>.*``), so two endpoints (say a MinIO
source and an AWS target, or a Redshift staging bucket) coexist in one Spark session.
For a non-AWS ``endpoint_url`` (MinIO, LocalStack, moto) path-style access is turned on.
Explicit keys go to ``SimpleAWSCredentialsProvider`` (``TemporaryAWSCredentialsProvider``
with a session token); without keys the AWS SDK's default chain applies (environment,
profile, instance role). The values are set on the session's Hadoop configuration, which
Spark ships to executors with each job and does not log; never print ``s3a_conf``'s result.

Usage (e.g. a Redshift target staging to S3)::

    from sparkdms.connectors.s3.hadoop import HADOOP_AWS_PACKAGE, configure_s3a, s3a_uri
    configure_s3a(spark, aws_options(endpoint), bucket)
    df.write.parquet(s3a_uri(bucket, "stage/table"))
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlparse

# pyspark 4.2 ships hadoop-client-api/runtime 3.5.0; hadoop-aws must match it exactly.
# It pulls software.amazon.awssdk:bundle (AWS SDK v2) transitively.
HADOOP_VERSION = "3.5.0"
HADOOP_AWS_PACKAGE = f"org.apache.hadoop:hadoop-aws:{HADOOP_VERSION}"

SIMPLE_PROVIDER = "org.apache.hadoop.fs.s3a.SimpleAWSCredentialsProvider"
TEMPORARY_PROVIDER = "org.apache.hadoop.fs.s3a.TemporaryAWSCredentialsProvider"
DEFAULT_CHAIN = "software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider"
FINGERPRINT = "sparkdms.fingerprint"  # per-bucket marker: which settings the cached FS has
# every per-bucket key this module may set (unset first, so no stale key survives)
KEYS = ("endpoint", "endpoint.region", "path.style.access", "connection.ssl.enabled",
        "input.stream.type",
        "aws.credentials.provider", "access.key", "secret.key", "session.token", FINGERPRINT)


def is_aws_endpoint(url: str | None) -> bool:
    return not url or (urlparse(url).hostname or "").endswith(".amazonaws.com")


def s3a_conf(aws: Mapping[str, str | None], bucket: str) -> dict[str, str]:
    """Per-bucket s3a settings for AWS options (``session.aws_options``: endpoint_url,
    region, access_key_id, secret_access_key, session_token). Holds secrets: never log it."""
    url, region = aws.get("endpoint_url"), aws.get("region") or "us-east-1"
    # the classic stream: Hadoop 3.5's default (analytics accelerator) caches object data
    # in the JVM, so a re-read in the same session (validation) could see replaced objects stale
    conf: dict[str, str] = {"endpoint.region": region, "input.stream.type": "classic"}
    if url:
        conf["endpoint"] = url
        conf["connection.ssl.enabled"] = str(urlparse(url).scheme == "https").lower()
    if not is_aws_endpoint(url):
        conf["path.style.access"] = "true"
    key_id, secret, token = (aws.get("access_key_id"), aws.get("secret_access_key"),
                             aws.get("session_token"))
    if key_id and secret:
        conf.update({"access.key": key_id, "secret.key": secret,
                     "aws.credentials.provider": TEMPORARY_PROVIDER if token else SIMPLE_PROVIDER})
        if token:
            conf["session.token"] = token
    else:
        conf["aws.credentials.provider"] = DEFAULT_CHAIN
    conf[FINGERPRINT] = hashlib.sha256(repr(sorted(conf.items())).encode()).hexdigest()[:16]
    return {f"fs.s3a.bucket.{bucket}.{k}": v for k, v in conf.items()}


def configure_s3a(spark: Any, aws: Mapping[str, str | None], bucket: str) -> None:
    """Point s3a://<bucket>/ of this Spark session at the endpoint. When the bucket was
    configured before with other settings, its cached FileSystem is closed so the new
    settings take effect."""
    hconf = spark.sparkContext._jsc.hadoopConfiguration()
    wanted = s3a_conf(aws, bucket)
    marker = f"fs.s3a.bucket.{bucket}.{FINGERPRINT}"
    previous = hconf.get(marker)
    if previous == wanted[marker]:
        return
    for key in KEYS:
        hconf.unset(f"fs.s3a.bucket.{bucket}.{key}")
    for key, value in wanted.items():
        hconf.set(key, value)
    if previous is not None:
        _evict_cached_fs(spark, bucket)


def _evict_cached_fs(spark: Any, bucket: str) -> None:
    jvm = spark.sparkContext._jvm
    path = jvm.org.apache.hadoop.fs.Path(s3a_uri(bucket, ""))
    path.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration()).close()


def s3a_uri(bucket: str, key: str) -> str:
    return f"s3a://{bucket}/{key.lstrip('/')}"
