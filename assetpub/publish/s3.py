"""S3 (and S3-compatible: MinIO, R2, ...) target through boto3.

One client shared by all workers (boto3 clients are thread-safe); botocore's
`standard` retry mode retries throttling (503 SlowDown) and transient errors, within
the bounded waits of network.py (a line on stderr for each retry); the
endpoint comes from --endpoint-url or botocore's own AWS_ENDPOINT_URL_S3 /
AWS_ENDPOINT_URL; credentials only from boto3's standard chain, never logged.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any, Iterator

import botocore.exceptions as bx

from .errors import PublishError, PublishUsageError, TargetError
from .network import NetworkLimits
from .network import install as install_limits
from .state import RESERVED, Headers, LocalObject, RemoteObject, checked

log = logging.getLogger(__name__)

HASH_META = "sha256"  # stored as x-amz-meta-sha256: ETags are no MD5 for multipart uploads
MULTIPART_THRESHOLD = 8 * 1024 * 1024  # boto3's default; above it, stream in 8 MiB parts


class S3Target:
    def __init__(
        self,
        *,
        bucket: str,
        prefix: str = "",
        endpoint_url: str | None = None,
        region: str | None = None,
        profile: str | None = None,
        acl: str | None = None,
        workers: int = 16,
        limits: NetworkLimits | None = None,
    ):
        # botocore directly, not boto3: importing boto3 pulls in s3transfer and costs a
        # no-op publish ~0.05 s; boto3's Session only wraps this botocore session (same
        # credential chain, same config). boto3 is imported for multipart uploads only.
        import botocore.config
        import botocore.exceptions
        import botocore.session

        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.url = f"s3://{bucket}/{self.prefix}" if self.prefix else f"s3://{bucket}"
        self.acl = acl
        self.limits = limits or NetworkLimits.from_env()
        session = botocore.session.Session(profile=profile)
        config = botocore.config.Config(
            retries={"mode": "standard", "total_max_attempts": self.limits.attempts},
            max_pool_connections=max(10, workers + 4),
            connect_timeout=self.limits.connect,
            read_timeout=self.limits.read,
            # CRC trailers by default (boto3 >= 1.36) break several S3-compatible stores;
            # our own sha256 in metadata is what we compare anyway
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
        )
        try:
            self.client = session.create_client("s3", region_name=region, endpoint_url=endpoint_url, config=config)
        except botocore.exceptions.ProfileNotFound:  # a usage mistake: exit 2, naming where it came from
            where = "--profile or the config's 'profile'" if profile else "AWS_PROFILE"
            raise PublishUsageError(f"AWS profile {session.profile or profile!r} not found (from {where})") from None
        except botocore.exceptions.InvalidRegionError:
            where = "--region or the config's 'region'" if region else "AWS_REGION or the AWS config"
            raise PublishUsageError(
                f"invalid region {region or session.get_config_variable('region')!r} for {self.url} (from {where})"
            ) from None
        except ValueError as e:  # botocore: "Invalid endpoint: ..."
            raise PublishUsageError(f"invalid S3 endpoint URL {_endpoint(endpoint_url)}: {e}") from None
        except botocore.exceptions.BotoCoreError as e:
            raise TargetError(f"cannot set up the S3 client for {self.url}: {e}") from None
        install_limits(self.client, self.limits, self.url)
        self.written: dict[str, str] = {}  # key -> ETag of what put_bytes wrote there
        self._written: dict[str, tuple[str, str]] = {}  # sha256 of bytes written -> (first key, its ETag)
        self._written_lock = threading.Lock()

    # -- keys ---------------------------------------------------------------------
    def _key(self, key: str) -> str:
        return f"{self.prefix}/{key}" if self.prefix else key

    def _extra(self, headers: Headers, sha256: str | None, key: str = "") -> dict[str, Any]:
        headers = checked(headers, key)
        extra: dict[str, Any] = {"ContentType": headers.content_type, "CacheControl": headers.cache_control}
        if headers.content_encoding:
            extra["ContentEncoding"] = headers.content_encoding
        if sha256:
            extra["Metadata"] = {HASH_META: sha256}
        if self.acl and not key.startswith(RESERVED):  # assetpub's own objects are never public
            extra["ACL"] = self.acl
        return extra

    # -- the Target interface -----------------------------------------------------------
    def get(self, key: str) -> bytes | None:
        try:
            return self.client.get_object(Bucket=self.bucket, Key=self._key(key))["Body"].read()
        except _READING as e:
            if _code(e) in ("NoSuchKey", "404"):
                return None
            raise self._error(e, key) from None

    def head(self, key: str) -> RemoteObject | None:
        try:
            r = self.client.head_object(Bucket=self.bucket, Key=self._key(key))
        except _REQUEST as e:
            if _code(e) in ("NoSuchKey", "404", "NotFound"):
                return None
            raise self._error(e, key) from None
        return _remote(r)

    def content_sha256(self, key: str) -> str | None:
        digest = hashlib.sha256()
        try:
            body = self.client.get_object(Bucket=self.bucket, Key=self._key(key))["Body"]
            for chunk in iter(lambda: body.read(1 << 20), b""):
                digest.update(chunk)
        except _READING as e:
            if _code(e) in ("NoSuchKey", "404"):
                return None
            raise self._error(e, key) from None
        return digest.hexdigest()

    def upload(self, obj: LocalObject, *, key: str | None = None) -> None:
        """Stream obj's file to key. Bytes this run already uploaded under another key (a
        keep-name file and its rollback stash, the manifest and its stash) are a
        server-side copy of that object instead (see _copy_own), so they cross once."""
        if obj.file is None:  # a bug: the plan never uploads an object the build did not write
            raise ValueError(f"{obj.key}: no file to upload")
        key = key or obj.key
        extra = self._extra(obj.headers, obj.sha256, key)
        if obj.sha256 and obj.size <= MULTIPART_THRESHOLD:
            with self._written_lock:
                first = self._written.get(obj.sha256)
            if first is not None and first[0] != key and self._copy_own(first, key, extra):
                return
        try:
            f = open(obj.file, "rb")  # a file object: streamed, never read whole
        except OSError as e:
            raise PublishError(f"{obj.file}: cannot read: {e.strerror}") from None
        try:
            with f:
                if obj.size > MULTIPART_THRESHOLD:
                    upload_fileobj, config = _managed_upload()
                    upload_fileobj(self.client, f, self.bucket, self._key(key), ExtraArgs=extra, Config=config)
                else:
                    etag = self.client.put_object(Bucket=self.bucket, Key=self._key(key), Body=f, **extra).get("ETag")
                    if obj.sha256 and etag:
                        with self._written_lock:
                            self._written.setdefault(obj.sha256, (key, etag))
        except _REQUEST as e:  # first: botocore's timeouts and SSL errors are OSErrors too, the network's
            raise self._error(e, key) from None
        except OSError as e:  # the file, while it was being read
            raise PublishError(f"{obj.file}: cannot read: {e.strerror or e}") from None

    def copy(self, source: str, key: str, headers: Headers, sha256: str) -> None:
        """Server-side copy (rollback puts stashed bytes back), with new headers. A source
        under another key (a stash object) is read and hashed first, and copied only if it
        is still that version (If-Match its ETag): bytes other than `sha256` never go live."""
        condition = {} if source == key else {"CopySourceIfMatch": self._verified_etag(source, sha256)}
        try:
            self.client.copy_object(
                Bucket=self.bucket,
                Key=self._key(key),
                CopySource={"Bucket": self.bucket, "Key": self._key(source)},
                MetadataDirective="REPLACE",
                **condition,
                **self._extra(headers, sha256, key),
            )
        except _REQUEST as e:
            raise self._error(e, key) from None

    def _verified_etag(self, source: str, sha256: str) -> str:
        digest = hashlib.sha256()
        try:
            r = self.client.get_object(Bucket=self.bucket, Key=self._key(source))
            for chunk in r["Body"].iter_chunks(1 << 20):
                digest.update(chunk)
        except _READING as e:
            raise self._error(e, source) from None
        if digest.hexdigest() != sha256:
            raise PublishError(
                f"{self.url}/{source}: its bytes do not have the SHA-256 {sha256} the record names "
                "(corrupt or tampered with); refusing to restore it"
            )
        return r["ETag"]

    def update_headers(self, obj: LocalObject) -> None:
        key = self._key(obj.key)
        extra = self._extra(obj.headers, obj.sha256, obj.key)
        if obj.sha256 is None:
            # reused by the build: keep the hash the object already carries
            have = self.head(obj.key)
            if have is not None and have.sha256:
                extra["Metadata"] = {HASH_META: have.sha256}
        try:
            self.client.copy_object(
                Bucket=self.bucket,
                Key=key,
                CopySource={"Bucket": self.bucket, "Key": key},
                MetadataDirective="REPLACE",
                **extra,
            )
        except _REQUEST as e:
            raise self._error(e, obj.key) from None

    def put_bytes(self, key: str, data: bytes, headers: Headers) -> str:
        """Write assetpub's own bytes; the same bytes written again under another key (a
        deploy's record, then current.json) are a server-side copy of the first, if that
        one is still the version written (CopySourceIfMatch), so they cross the network once."""
        extra = self._extra(headers, None, key)
        digest = hashlib.sha256(data).hexdigest()
        with self._written_lock:
            first = self._written.get(digest)
        etag = None
        if first is not None and first[0] != key:
            etag = self._copy_own(first, key, extra)
        if etag is None:
            try:
                etag = self.client.put_object(Bucket=self.bucket, Key=self._key(key), Body=data, **extra).get("ETag")
            except _REQUEST as e:
                raise self._error(e, key) from None
        etag = etag or ""
        with self._written_lock:
            self._written.setdefault(digest, (key, etag))
            self.written[key] = etag
        return etag

    def _copy_own(self, source: tuple[str, str], key: str, extra: dict[str, Any]) -> str | None:
        """Copy an object this run wrote; None if it changed meanwhile (then the bytes are
        sent). The copy must come back with the source's ETag (for an object written in one
        PUT, S3 and compatible stores give a copy the same ETag): not every store honours
        CopySourceIfMatch (moto ignores it), and the ETag is what the next run's
        If-None-Match trusts, so anything else is overwritten with the bytes."""
        try:
            r = self.client.copy_object(
                Bucket=self.bucket,
                Key=self._key(key),
                CopySource={"Bucket": self.bucket, "Key": self._key(source[0])},
                CopySourceIfMatch=source[1],
                MetadataDirective="REPLACE",
                **extra,
            )
        except _REQUEST as e:
            if _code(e) in _LOST_RACE:
                return None
            raise self._error(e, key) from None
        etag = (r.get("CopyObjectResult") or {}).get("ETag") or ""
        return source[1] if etag and etag.strip('"') == source[1].strip('"') else None  # SeaweedFS: unquoted

    def read_if_changed(self, key: str, version: str | None) -> tuple[bytes | None, str] | None:
        """GET key with If-None-Match: `version` (an ETag this target gave earlier): None when
        there is no such object, (None, version) when it is still that version (304, no
        body), else (bytes, new ETag)."""
        condition = {"IfNoneMatch": version} if version else {}
        try:
            r = self.client.get_object(Bucket=self.bucket, Key=self._key(key), **condition)
            return r["Body"].read(), r["ETag"]
        except _READING as e:
            code = _code(e)
            if code in ("304", "NotModified") and version:
                return None, version
            if code in ("NoSuchKey", "404"):
                return None
            raise self._error(e, key) from None

    def delete(self, key: str) -> None:
        try:
            self.client.delete_object(Bucket=self.bucket, Key=self._key(key))
        except _REQUEST as e:
            raise self._error(e, key) from None

    def delete_many(self, keys: list[str]) -> None:
        """One DeleteObjects request (callers pass at most 1,000 keys)."""
        if not keys:
            return
        try:
            r = self.client.delete_objects(
                Bucket=self.bucket, Delete={"Objects": [{"Key": self._key(k)} for k in keys], "Quiet": True}
            )
        except _REQUEST as e:
            raise self._error(e, "") from None
        errors = r.get("Errors") or []
        if errors:
            first = errors[0]
            raise TargetError(
                f"{self.url}/{first.get('Key')}: cannot delete: {first.get('Code')} {first.get('Message', '')}"
            )

    def listing(self, under: str = "") -> Iterator[tuple[str, datetime]]:
        """(key, last modified) of every object under the prefix + `under`, reserved ones included."""
        start = f"{self.prefix}/" if self.prefix else ""
        try:
            pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=start + under)
            for page in pages:
                for item in page.get("Contents", ()):
                    key = item["Key"][len(start) :]
                    if key:
                        yield key, item["LastModified"]
        except _REQUEST as e:
            raise self._error(e, "") from None

    def keys(self) -> Iterator[str]:
        """Every published key under the prefix (reserved ones excluded), paginated."""
        return (k for k, _ in self.listing() if not k.startswith(RESERVED))

    def create_exclusive(self, key: str, data: bytes) -> str | None:
        """Write key only if it does not exist (S3 conditional write, If-None-Match: *): its ETag."""
        return self._put_if(key, data, IfNoneMatch="*")

    def read_versioned(self, key: str) -> tuple[bytes, str] | None:
        try:
            r = self.client.get_object(Bucket=self.bucket, Key=self._key(key))
            return r["Body"].read(), r["ETag"]
        except _READING as e:
            if _code(e) in ("NoSuchKey", "404"):
                return None
            raise self._error(e, key) from None

    def replace_if(self, key: str, data: bytes, version: str) -> str | None:
        """Write key only if its ETag is still `version` (If-Match): the new ETag, or None."""
        return self._put_if(key, data, IfMatch=version)

    def _put_if(self, key: str, data: bytes, **condition: str) -> str | None:
        try:
            r = self.client.put_object(
                Bucket=self.bucket, Key=self._key(key), Body=data, ContentType="application/json", **condition
            )
            return r.get("ETag") or "?"
        except _REQUEST as e:
            if _code(e) in _LOST_RACE:
                return None
            raise self._error(e, key) from None

    def delete_if(self, key: str, version: str) -> bool:
        """Remove key only if its ETag is still `version` (DeleteObject with If-Match)."""
        try:
            self.client.delete_object(Bucket=self.bucket, Key=self._key(key), IfMatch=version)
            return True
        except _REQUEST as e:
            code = _code(e)
            if code in _LOST_RACE:
                return False
            if code != "NotImplemented":
                raise self._error(e, key) from None
        found = self.read_versioned(key)  # a store without conditional deletes: check, then delete
        if found is None or found[1] != version:
            return False
        self.delete(key)
        return True

    def entries(self, under: str) -> set[str]:
        start = (f"{self.prefix}/" if self.prefix else "") + under
        try:
            r = self.client.list_objects_v2(Bucket=self.bucket, Prefix=start, Delimiter="/")
        except _REQUEST as e:
            raise self._error(e, under) from None
        return {item["Key"][len(start) :] for item in r.get("Contents", ())}

    def scan(self) -> Iterator[tuple[str, RemoteObject]]:
        keys = list(self.keys())
        with ThreadPoolExecutor(max_workers=16) as pool:
            for key, remote in zip(keys, pool.map(self.head, keys), strict=False):
                if remote is not None:
                    yield key, remote

    def end_step(self, step: int) -> None:
        pass

    # -- errors ----------------------------------------------------------------------------
    def _error(self, e: Exception, key: str) -> PublishError:
        """What went wrong, in the user's terms: one of _READING, mapped to a TargetError."""
        where = f"{self.url}/{key}" if key else self.url
        if isinstance(e, (bx.NoCredentialsError, bx.PartialCredentialsError)):
            return TargetError("no AWS credentials found (set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY)")
        if isinstance(e, bx.ReadTimeoutError):
            return TargetError(
                f"{where}: the S3 endpoint did not answer in time (waited {self.limits.read:g} s per try, "
                f"gave up after {self.limits.give_up:g} s)"
            )
        if isinstance(e, (bx.EndpointConnectionError, bx.ConnectTimeoutError, bx.ProxyConnectionError)):
            return TargetError(f"cannot reach the S3 endpoint for {self.url}: {_one_line(e)}")
        if isinstance(e, bx.SSLError):
            return TargetError(f"TLS error talking to the S3 endpoint for {self.url}: {_one_line(e)}")
        if isinstance(e, (bx.ConnectionClosedError, bx.HTTPClientError)):
            return TargetError(f"{where}: the connection to the S3 endpoint failed: {_one_line(e)}")
        code = _code(e)
        if code == "NoSuchBucket":
            return TargetError(f"bucket {self.bucket!r} does not exist")
        if code in ("InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken", "InvalidToken"):
            return TargetError(f"the S3 endpoint rejected the credentials ({code}) for {self.url}")
        if code in ("AccessDenied", "403", "AllAccessDisabled"):
            return TargetError(f"access denied: {where}")
        if code:
            return TargetError(f"{where}: S3 error {code}: {_one_line(e)}")
        if isinstance(e, bx.BotoCoreError):
            return TargetError(f"{where}: {_one_line(e)}")
        return TargetError(f"{where}: {type(e).__name__}: {_one_line(e)}")  # an OSError while reading a body


# What a request can raise: botocore's own errors (the network, timeouts, bad parameters,
# credentials: BotoCoreError) and the service's answers (ClientError). Anything else is a
# bug in assetpub and keeps its traceback.
_REQUEST = (bx.BotoCoreError, bx.ClientError)
# Reading a response body can also fail on the socket itself.
_READING = (*_REQUEST, OSError)

_boto3_lock = threading.Lock()


@functools.cache
def _managed_upload_unlocked():
    from boto3.s3.inject import upload_fileobj
    from boto3.s3.transfer import TransferConfig

    return upload_fileobj, TransferConfig(multipart_threshold=MULTIPART_THRESHOLD, max_concurrency=4)


def _managed_upload():
    """boto3's managed (multipart) upload, imported once, on first need, by one worker
    thread (a no-op publish never pays for importing boto3 and s3transfer)."""
    with _boto3_lock:
        return _managed_upload_unlocked()


def _endpoint(given: str | None) -> str:
    """The endpoint botocore was told to use, and where it came from (for error messages)."""
    if given is not None:
        return repr(given)
    for name in ("AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"):
        if os.environ.get(name):
            return f"{os.environ[name]!r} (from {name})"
    return "(from the AWS config file)"


# a conditional write or delete that lost: the object changed (412), is gone (404 on AWS
# and moto for If-Match), or another conditional write was in flight (409)
_LOST_RACE = ("PreconditionFailed", "412", "ConditionalRequestConflict", "409", "NoSuchKey", "404")


def _code(e: Exception) -> str:
    response = getattr(e, "response", None)
    if isinstance(response, dict):
        return str(response.get("Error", {}).get("Code", ""))
    return ""


def _one_line(e: Exception) -> str:
    return " ".join(str(e).split())


def _remote(r: dict[str, Any]) -> RemoteObject:
    return RemoteObject(
        sha256=(r.get("Metadata") or {}).get(HASH_META),
        size=int(r.get("ContentLength", 0)),
        headers=Headers(r.get("ContentType", ""), r.get("CacheControl", ""), r.get("ContentEncoding") or None),
    )
