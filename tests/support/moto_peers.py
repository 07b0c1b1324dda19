"""What the scripts that drive moto share: botocore clients for a moto
server, and the Lambda SQS event records that carry received messages.

botocore talks to moto exactly as it talks to AWS; nothing here is faked.
"""
import botocore.session


def client(service, endpoint):
    """A botocore client of `service` for the moto server at `endpoint`."""
    return botocore.session.get_session().create_client(
        service, region_name="us-east-1", endpoint_url=endpoint,
        aws_access_key_id="testing", aws_secret_access_key="testing")


def lambda_sqs_records(messages, arn):
    """The records of the Lambda SQS event that would carry `messages`
    (ReceiveMessage's answer) from the queue `arn`."""
    return [{
        "messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"], "body": m["Body"],
        "attributes": {"ApproximateReceiveCount": "1"}, "messageAttributes": {},
        "md5OfBody": m["MD5OfBody"], "eventSource": "aws:sqs",
        "eventSourceARN": arn, "awsRegion": "us-east-1",
    } for m in messages]
