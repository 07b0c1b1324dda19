"""Deploys a translated template into moto's CloudFormation and reports what exists.

Reads JSON on stdin: {"endpoint": URL, "template": {...translated...},
"parameters": {NAME: VALUE}, "artifact": {"bucket": B, "key": K}}. Uploads a
stand-in artifact (what `sam package` would have uploaded), creates the stack,
and prints, as JSON, what boto3 reads back from the services moto models:
the stack's resources and outputs, both functions' configuration and
concurrency, their event source mappings, the Kinesis stream, the roles'
inline and attached policies, the invoke permissions, and the queues.
"""

import ast
import io
import json
import re
import sys
import zipfile

import boto3

REGION = "us-east-1"

# Resource types moto's CloudFormation does not model (it fails the stack on
# an output that reads their attributes). They are taken out before the stack
# is created and reported under "unmodeled"; the tests check them in the
# translated template instead.
UNMODELED = {
    "AWS::Logs::SubscriptionFilter",
    "AWS::Logs::AccountPolicy",
    "AWS::Logs::Destination",
    "AWS::SQS::QueuePolicy",
}


def mentions(value, names):
    """Does a template fragment refer to any of the logical ids `names`?"""
    if isinstance(value, dict):
        if value.get("Ref") in names:
            return True
        att = value.get("Fn::GetAtt")
        if isinstance(att, list) and att and att[0] in names:
            return True
        return any(mentions(v, names) for v in value.values())
    if isinstance(value, list):
        return any(mentions(v, names) for v in value)
    if isinstance(value, str) and "${" in value:
        return any("${" + n + "}" in value or "${" + n + "." in value for n in names)
    return False


def without_unmodeled(template):
    resources = template["Resources"]
    removed = sorted(k for k, r in resources.items() if r["Type"] in UNMODELED)
    for name in removed:
        del resources[name]
    for resource in resources.values():
        depends = resource.get("DependsOn")
        if isinstance(depends, str) and depends in removed:
            del resource["DependsOn"]
        elif isinstance(depends, list):
            resource["DependsOn"] = [d for d in depends if d not in removed]
    outputs = template.get("Outputs", {})
    for name in [n for n, o in outputs.items() if mentions(o, set(removed))]:
        del outputs[name]
    return removed


def client(name, endpoint):
    return boto3.client(
        name,
        region_name=REGION,
        endpoint_url=endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def artifact_zip():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("bootstrap", "#!/bin/sh\n")
    return out.getvalue()


def document(value):
    """A policy document as moto returns it: a dict, JSON text, or (for a
    role's Policies property) Python's repr of the dict."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return ast.literal_eval(value)
    return value


def role_policies(iam, role_name):
    inline = {
        name: document(iam.get_role_policy(RoleName=role_name, PolicyName=name)["PolicyDocument"])
        for name in iam.list_role_policies(RoleName=role_name)["PolicyNames"]
    }
    attached = {}
    for p in iam.list_attached_role_policies(RoleName=role_name)["AttachedPolicies"]:
        arn = p["PolicyArn"]
        if ":aws:policy/" in arn:
            attached[arn] = None  # an AWS managed policy, named only
            continue
        version = iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
        attached[arn] = iam.get_policy_version(PolicyArn=arn, VersionId=version)["PolicyVersion"][
            "Document"
        ]
    return {"inline": inline, "attached": attached}


class Resolver:
    """Evaluates the intrinsic functions of the unmodeled resources against
    the deployed stack, as CloudFormation would have: parameters, pseudo
    parameters, conditions, and the physical ids and ARNs of what moto made."""

    def __init__(self, template, parameters, physical, arns):
        self.template = template
        self.parameters = {}
        for name, declared in template.get("Parameters", {}).items():
            value = parameters.get(name, declared.get("Default"))
            if declared["Type"] == "CommaDelimitedList" and isinstance(value, str):
                value = value.split(",")
            self.parameters[name] = value
        self.parameters.update(
            {
                "AWS::Region": REGION,
                "AWS::AccountId": "123456789012",
                "AWS::Partition": "aws",
                "AWS::StackName": "logs-forwarder",
            }
        )
        self.physical = physical
        self.arns = arns

    def condition(self, name):
        return self.value(self.template["Conditions"][name])

    def value(self, v):
        if isinstance(v, list):
            return [x for x in (self.value(i) for i in v) if x is not NO_VALUE]
        if not isinstance(v, dict):
            return v
        if len(v) != 1:
            return {k: x for k, x in ((k, self.value(i)) for k, i in v.items()) if x is not NO_VALUE}
        (fn, arg), = v.items()
        if fn == "Ref":
            if arg == "AWS::NoValue":
                return NO_VALUE
            return self.parameters[arg] if arg in self.parameters else self.physical[arg]
        if fn == "Fn::GetAtt":
            resource, attribute = arg if isinstance(arg, list) else arg.split(".", 1)
            if attribute == "Arn" and resource in self.arns:
                return self.arns[resource]
            return f"<{resource}.{attribute}>"
        if fn == "Fn::If":
            return self.value(arg[1] if self.condition(arg[0]) else arg[2])
        if fn == "Fn::Join":
            return arg[0].join(str(x) for x in self.value(arg[1]))
        if fn == "Fn::Split":
            return self.value(arg[1]).split(arg[0])
        if fn == "Fn::Sub":
            text, names = (arg, {}) if isinstance(arg, str) else (arg[0], self.value(arg[1]))
            def sub(match):
                name = match.group(1)
                if name in names:
                    return str(names[name])
                if "." in name:
                    return self.value({"Fn::GetAtt": name.split(".", 1)})
                return str(self.value({"Ref": name}))
            return re.sub(r"\$\{([^}!]+)\}", sub, text)
        if fn == "Fn::Equals":
            return self.value(arg[0]) == self.value(arg[1])
        if fn == "Fn::Not":
            return not self.value(arg[0])
        if fn == "Fn::Or":
            return any(self.value(x) for x in arg)
        if fn == "Fn::And":
            return all(self.value(x) for x in arg)
        if fn == "Condition":
            return self.condition(arg)
        return {fn: self.value(arg)}


NO_VALUE = object()


def main():
    spec = json.load(sys.stdin)
    endpoint = spec["endpoint"]
    s3 = client("s3", endpoint)
    s3.create_bucket(Bucket=spec["artifact"]["bucket"])
    s3.put_object(Bucket=spec["artifact"]["bucket"], Key=spec["artifact"]["key"], Body=artifact_zip())

    template = spec["template"]
    original = json.loads(json.dumps(template))
    unmodeled = without_unmodeled(template)
    cfn = client("cloudformation", endpoint)
    cfn.create_stack(
        StackName="logs-forwarder",
        TemplateBody=json.dumps(template),
        Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in spec["parameters"].items()],
        Capabilities=["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"],
    )
    stack = cfn.describe_stacks(StackName="logs-forwarder")["Stacks"][0]
    resources = cfn.list_stack_resources(StackName="logs-forwarder")["StackResourceSummaries"]
    physical = {r["LogicalResourceId"]: r["PhysicalResourceId"] for r in resources}
    report = {
        "status": stack["StackStatus"],
        "outputs": {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])},
        "resources": {r["LogicalResourceId"]: r["ResourceType"] for r in resources},
        "physical": physical,
        "parameters": spec["parameters"],
    }

    lam = client("lambda", endpoint)
    iam = client("iam", endpoint)
    functions = {}
    for logical in ("ForwarderFunction", "SnapshotManagerFunction"):
        name = physical[logical]
        config = lam.get_function_configuration(FunctionName=name)
        config.pop("ResponseMetadata", None)
        concurrency = lam.get_function_concurrency(FunctionName=name)
        config["ReservedConcurrentExecutions"] = concurrency.get("ReservedConcurrentExecutions")
        try:
            config["Policy"] = json.loads(lam.get_policy(FunctionName=name)["Policy"])
        except lam.exceptions.ResourceNotFoundException:
            config["Policy"] = None
        role_name = config["Role"].rsplit("/", 1)[-1]
        config["RolePolicies"] = role_policies(iam, role_name)
        config["EventSourceMappings"] = lam.list_event_source_mappings(FunctionName=name)[
            "EventSourceMappings"
        ]
        functions[logical] = config
    report["functions"] = functions

    arns = {}
    for logical, kind in report["resources"].items():
        if kind == "AWS::Lambda::Function":
            arns[logical] = functions[logical]["FunctionArn"]
        elif kind == "AWS::IAM::Role":
            arns[logical] = iam.get_role(RoleName=physical[logical])["Role"]["Arn"]
        elif kind == "AWS::Kinesis::Stream":
            arns[logical] = client("kinesis", endpoint).describe_stream_summary(
                StreamName=physical[logical]
            )["StreamDescriptionSummary"]["StreamARN"]
        elif kind == "AWS::SQS::Queue":
            arns[logical] = client("sqs", endpoint).get_queue_attributes(
                QueueUrl=physical[logical], AttributeNames=["QueueArn"]
            )["Attributes"]["QueueArn"]
    resolver = Resolver(original, spec["parameters"], physical, arns)
    # Every resource of the translated template as CloudFormation would have
    # created it (conditions applied, intrinsics resolved), for what moto
    # does not model or does not keep (e.g. Architectures, StreamModeDetails,
    # a role's ManagedPolicyArns).
    resolved = {}
    for logical, resource in original["Resources"].items():
        if "Condition" in resource and not resolver.condition(resource["Condition"]):
            continue
        resolved[logical] = {
            "Type": resource["Type"],
            "Properties": resolver.value(resource.get("Properties", {})),
        }
    report["template"] = resolved
    report["unmodeled"] = unmodeled
    report["managed_policies"] = {
        logical: document(
            iam.get_policy_version(
                PolicyArn=physical[logical],
                VersionId=iam.get_policy(PolicyArn=physical[logical])["Policy"]["DefaultVersionId"],
            )["PolicyVersion"]["Document"]
        )
        for logical, kind in report["resources"].items()
        if kind == "AWS::IAM::ManagedPolicy"
    }

    if "LogsStream" in physical:
        kinesis = client("kinesis", endpoint)
        summary = kinesis.describe_stream_summary(StreamName=physical["LogsStream"])
        report["stream"] = summary["StreamDescriptionSummary"]
    if "LogsDestinationRole" in physical:
        role = iam.get_role(RoleName=physical["LogsDestinationRole"])["Role"]
        report["destination_role"] = {
            "arn": role["Arn"],
            "trust": role["AssumeRolePolicyDocument"],
            "policies": role_policies(iam, role["RoleName"]),
        }
    sqs = client("sqs", endpoint)
    report["queues"] = {
        logical: sqs.get_queue_attributes(QueueUrl=physical[logical], AttributeNames=["All"])["Attributes"]
        for logical, kind in report["resources"].items()
        if kind == "AWS::SQS::Queue"
    }
    json.dump(report, sys.stdout, default=str)


if __name__ == "__main__":
    main()
