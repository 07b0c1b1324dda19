"""Turns template.yaml into the CloudFormation template that a deployment runs.

What `sam deploy` and CloudFormation do, in order: `sam package` replaces the
local CodeUri with the uploaded artifact, the AWS::LanguageExtensions
transform expands Fn::ForEach (SAM CLI's own implementation), and the SAM
translator turns the serverless resources into plain CloudFormation.

Runs in .venv-sam (aws-sam-cli's venv, which has both). Reads JSON on stdin:
{"template": PATH, "parameters": {NAME: VALUE}, "code_uri": "s3://b/k"};
prints the translated template as JSON.
"""

import json
import os
import sys

from samcli.lib.cfn_language_extensions import (
    ProcessingPipeline,
    PseudoParameterValues,
    TemplateParsingProcessor,
    TemplateProcessingContext,
)
from samcli.lib.cfn_language_extensions.api import create_default_intrinsic_resolver
from samcli.lib.cfn_language_extensions.processors.foreach import ForEachProcessor
from samcli.yamlhelper import yaml_parse
from samtranslator.translator.transform import transform

REGION = "us-east-1"
ACCOUNT = "123456789012"
# The translator asks boto for the region of its pseudo parameters.
os.environ["AWS_DEFAULT_REGION"] = REGION


class NoManagedPolicies:
    """The template names no AWS managed policy by name; nothing to look up."""

    def load(self):
        return {}


def main():
    spec = json.load(sys.stdin)
    with open(spec["template"], encoding="utf-8") as f:
        template = yaml_parse(f.read())
    parameters = spec["parameters"]
    for resource in template["Resources"].values():
        if isinstance(resource, dict) and resource.get("Type") == "AWS::Serverless::Function":
            resource["Properties"]["CodeUri"] = spec["code_uri"]
    # CloudFormation passes every parameter, defaults included, to the
    # transforms; CommaDelimitedList values arrive as lists.
    values = {}
    for name, declared in template.get("Parameters", {}).items():
        value = parameters.get(name, declared.get("Default"))
        if value is None:
            continue
        if declared["Type"] == "CommaDelimitedList":
            value = value.split(",")
        values[name] = value
    # Fn::ForEach only: SAM CLI's full local pipeline also resolves other
    # intrinsics, which CloudFormation leaves to the deployment (it would turn
    # !Sub "${ForwarderFunction.Arn}" into literal text).
    context = TemplateProcessingContext(
        fragment=template,
        parameter_values=values,
        pseudo_parameters=PseudoParameterValues(
            region=REGION, account_id=ACCOUNT, partition="aws", stack_name="logs-forwarder"
        ),
    )
    resolver = create_default_intrinsic_resolver(context)
    pipeline = ProcessingPipeline([TemplateParsingProcessor(), ForEachProcessor(resolver)])
    expanded = pipeline.process_template(context)
    transforms = expanded.get("Transform")
    if isinstance(transforms, list):
        expanded["Transform"] = [t for t in transforms if t != "AWS::LanguageExtensions"]
        if len(expanded["Transform"]) == 1:
            expanded["Transform"] = expanded["Transform"][0]
    translated = transform(expanded, {**parameters, "AWS::Region": REGION}, NoManagedPolicies())
    json.dump(translated, sys.stdout)


if __name__ == "__main__":
    main()
