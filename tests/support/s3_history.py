"""History already in a moto S3 bucket, for the backfill tests.

Input (stdin, JSON), one of:
  {"endpoint": URL, "upload": {"bucket": "b", "dir": "/path"}}
      creates the bucket and puts every file under dir, its path below dir
      being its key (the bytes as they are: gzipped files stay gzipped);
      prints {"objects": N}
  {"endpoint": URL, "queue": "q"}
      creates the queue; prints {"url": ..., "arn": ...}
  {"endpoint": URL, "drain": "q"}
      receives every message of the queue and prints the Lambda SQS events
      that would carry them (ten messages per event, as a batch size of
      ten gives): {"events": [...], "messages": N}

botocore talks to moto exactly as it talks to AWS; nothing here is faked.
"""
import json
import os
import sys

from moto_peers import client, lambda_sqs_records


def main():
    spec = json.load(sys.stdin)
    if "upload" in spec:
        s3 = client("s3", spec["endpoint"])
        bucket, root = spec["upload"]["bucket"], spec["upload"]["dir"]
        s3.create_bucket(Bucket=bucket)
        count = 0
        for folder, _, files in os.walk(root):
            for name in sorted(files):
                path = os.path.join(folder, name)
                with open(path, "rb") as f:
                    s3.put_object(Bucket=bucket, Key=os.path.relpath(path, root), Body=f.read())
                count += 1
        json.dump({"objects": count}, sys.stdout)
        return
    sqs = client("sqs", spec["endpoint"])
    if "queue" in spec:
        url = sqs.create_queue(QueueName=spec["queue"])["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        json.dump({"url": url, "arn": arn}, sys.stdout)
        return
    url = sqs.get_queue_url(QueueName=spec["drain"])["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events, total = [], 0
    while True:
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0)
        messages = got.get("Messages", [])
        if not messages:
            break
        total += len(messages)
        events.append({"Records": lambda_sqs_records(messages, arn)})
        sqs.delete_message_batch(QueueUrl=url, Entries=[
            {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)])
    json.dump({"events": events, "messages": total}, sys.stdout)


if __name__ == "__main__":
    main()
