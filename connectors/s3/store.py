"""The boto3 side of an S3 endpoint (driver only): bucket checks, listing, server-side
copies, deletes and tags. Errors become one line naming the endpoint, bucket and table."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from sparkdms.connectors.aws.session import aws_error, client

from sparkdms.errors import EndpointError

if TYPE_CHECKING:
    from sparkdms.task import Endpoint

MISSING = ("404", "NoSuchBucket", "NotFound")
DENIED = ("403", "AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "Forbidden")


def error_code(err: Exception) -> str:
    return str(getattr(err, "response", {}).get("Error", {}).get("Code", ""))


class Store:
    def __init__(self, endpoint: Endpoint, bucket: str) -> None:
        self.endpoint = endpoint
        self.bucket = bucket
        self._client: Any = None

    @property
    def s3(self) -> Any:
        if self._client is None:
            self._client = client(self.endpoint, "s3")
        return self._client

    def fail(self, err: Exception, what: str) -> EndpointError:
        code = error_code(err)
        if code in MISSING:
            return EndpointError(self.endpoint.role, self.endpoint.engine,
                                 f"{what}: bucket {self.bucket!r} does not exist "
                                 "(S3Settings.BucketName)")
        if code in DENIED:
            return EndpointError(self.endpoint.role, self.endpoint.engine,
                                 f"{what}: access denied to bucket {self.bucket!r} ({code}); "
                                 "check access_key_id/secret_access_key or the credential chain")
        return aws_error(self.endpoint, err, f"{what} (bucket {self.bucket!r})")

    def check_bucket(self, what: str) -> None:
        try:
            self.s3.head_bucket(Bucket=self.bucket)
        except Exception as err:
            raise self.fail(err, what) from None

    def keys(self, prefix: str) -> Iterator[str]:
        pages = self.s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket,
                                                                   Prefix=prefix)
        for page in pages:
            for obj in page.get("Contents", ()):
                yield obj["Key"]

    def delete(self, keys: Sequence[str]) -> None:
        for start in range(0, len(keys), 1000):
            batch = [{"Key": k} for k in keys[start:start + 1000]]
            out = self.s3.delete_objects(Bucket=self.bucket, Delete={"Objects": batch,
                                                                      "Quiet": True})
            if out.get("Errors"):
                first = out["Errors"][0]
                raise OSError(f"could not delete s3://{self.bucket}/{first['Key']}: "
                              f"{first.get('Code')}: {first.get('Message')}")

    def delete_prefix(self, prefix: str) -> int:
        keys = list(self.keys(prefix))
        self.delete(keys)
        return len(keys)

    def copy(self, source: str, dest: str) -> None:
        """Server-side copy (multipart above the managed-transfer threshold)."""
        self.s3.copy({"Bucket": self.bucket, "Key": source}, self.bucket, dest)

    def tag(self, key: str, tags: Mapping[str, str]) -> None:
        tagset = [{"Key": k, "Value": v} for k, v in tags.items()]
        self.s3.put_object_tagging(Bucket=self.bucket, Key=key, Tagging={"TagSet": tagset})

    def tags_of(self, key: str) -> dict[str, str]:
        out = self.s3.get_object_tagging(Bucket=self.bucket, Key=key)
        return {t["Key"]: t["Value"] for t in out.get("TagSet", ())}
