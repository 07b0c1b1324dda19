"""Signs a request with botocore, the independent SigV4 implementation.

Reads one JSON object on stdin (method, url, headers, body_b64, credentials,
region, service, epoch) and prints the headers botocore's SigV4Auth sets
(S3SigV4Auth for the service s3, as botocore's S3 client signs), with the
clock fixed at `epoch`.
"""
import base64
import datetime
import json
import sys

import botocore.auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

spec = json.load(sys.stdin)
fixed = datetime.datetime.fromtimestamp(spec["epoch"], tz=datetime.timezone.utc).replace(tzinfo=None)
botocore.auth.get_current_datetime = lambda *a, **k: fixed
if hasattr(botocore.auth, "datetime"):
    class _Clock(datetime.datetime):
        @classmethod
        def utcnow(cls):
            return fixed
    botocore.auth.datetime.datetime = _Clock

body = base64.b64decode(spec["body_b64"])
request = AWSRequest(method=spec["method"], url=spec["url"], data=body, headers=dict(spec["headers"]))
creds = Credentials(spec["access_key"], spec["secret_key"], spec.get("token"))
signer = botocore.auth.S3SigV4Auth if spec["service"] == "s3" else botocore.auth.SigV4Auth
signer(creds, spec["service"], spec["region"]).add_auth(request)
print(json.dumps({k.lower(): v for k, v in request.headers.items()}))
