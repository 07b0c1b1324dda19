"""Puts objects into a moto S3 bucket whose notifications go to a moto SQS
queue, then receives what moto sent and prints it as the Lambda SQS event
that would carry it (stdout, JSON).

Input (stdin, JSON):
  {"endpoint": "http://127.0.0.1:PORT", "bucket": "b", "queue": "q",
   "objects": [{"key": "...", "file": "/path", "gzip": false}],
   "delete_after": ["key", ...]}

botocore talks to moto exactly as it talks to AWS; nothing here is faked.
"""
import gzip
import json
import sys

from moto_peers import client, lambda_sqs_records


def main():
    spec = json.load(sys.stdin)
    s3 = client("s3", spec["endpoint"])
    sqs = client("sqs", spec["endpoint"])
    bucket, queue = spec["bucket"], spec["queue"]
    s3.create_bucket(Bucket=bucket)
    queue_url = sqs.create_queue(QueueName=queue)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration={
        "QueueConfigurations": [{"QueueArn": arn, "Events": ["s3:ObjectCreated:*"]}]})
    for obj in spec["objects"]:
        with open(obj["file"], "rb") as f:
            body = f.read()
        if obj.get("gzip"):
            body = gzip.compress(body, mtime=0)
        s3.put_object(Bucket=bucket, Key=obj["key"], Body=body)
    records = []
    while True:
        got = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0)
        messages = got.get("Messages", [])
        if not messages:
            break
        records.extend(lambda_sqs_records(messages, arn))
    for key in spec.get("delete_after", []):
        s3.delete_object(Bucket=bucket, Key=key)
    json.dump({"Records": records}, sys.stdout)


if __name__ == "__main__":
    main()
