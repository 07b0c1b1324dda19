//! Generated log lines shared by the benches.

const T0_SECONDS: i64 = 1_763_800_000;

/// A version 2 flow log record, the `i`th of a stream: 50 records a minute.
pub fn vpc_flow(i: usize) -> String {
    let start = T0_SECONDS + (i as i64 / 50) * 60;
    format!(
        "2 111122223333 eni-0a1b2c3d4e5f{:05x} 10.0.{}.{} 172.31.{}.{} {} {} 6 {} {} {start} {} {} OK",
        i % 4096,
        i % 256,
        (i / 256) % 256,
        (i * 7) % 256,
        (i * 13) % 256,
        1024 + i % 60000,
        [443, 22, 80, 5432][i % 4],
        1 + i % 40,
        84 * (1 + i % 40),
        start + 60,
        if i % 9 == 0 { "REJECT" } else { "ACCEPT" },
    )
}

/// An S3 server access log line (today's 27 values), the `i`th of a stream.
pub fn s3_access(i: usize) -> String {
    let t = T0_SECONDS + i as i64 / 20;
    let (h, m, s) = ((t / 3600) % 24, (t / 60) % 60, t % 60);
    format!(
        "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be app-data [22/Nov/2025:{h:02}:{m:02}:{s:02} +0000] 10.0.{}.{} arn:aws:sts::111122223333:assumed-role/app/{} {:016X} REST.GET.OBJECT tenants/{}/{i:010}.json \"GET /app-data/tenants/{}/{i:010}.json HTTP/1.1\" 200 - {} {} {} {} \"-\" \"aws-sdk-java/2.21.0\" - {:032x}= SigV4 TLS_AES_128_GCM_SHA256 AuthHeader app-data.s3.eu-west-1.amazonaws.com TLSv1.3 - - eu-west-1",
        i % 256,
        (i / 256) % 256,
        i % 50,
        i * 7919,
        i % 97,
        i % 97,
        5321 + i % 1000,
        5321 + i % 1000,
        10 + i % 90,
        5 + i % 40,
        i * 31,
    )
}

/// An ALB access log line (29 values), the `i`th of a stream.
pub fn alb(i: usize) -> String {
    let t = T0_SECONDS + i as i64 / 50;
    let (h, m, s) = ((t / 3600) % 24, (t / 60) % 60, t % 60);
    format!(
        "https 2025-11-22T{h:02}:{m:02}:{s:02}.{:06}Z app/web/50dc6c495c0c9188 203.0.{}.{}:{} 10.0.1.{}:8080 0.001 0.0{:02} 0.000 200 200 {} {} \"GET https://shop.example.com:443/items/{i}?page={} HTTP/1.1\" \"Mozilla/5.0 (X11; Linux x86_64)\" TLS_AES_128_GCM_SHA256 TLSv1.3 arn:aws:elasticloadbalancing:eu-west-1:111122223333:targetgroup/web/73e2d6bc24d8a067 \"Root=1-6921f{:03x}-{:024x}\" \"shop.example.com\" \"arn:aws:acm:eu-west-1:111122223333:certificate/12345678-1234-1234-1234-123456789012\" 1 2025-11-22T{h:02}:{m:02}:{s:02}.000000Z \"forward\" \"-\" \"-\" \"10.0.1.{}:8080\" \"200\" \"-\" \"-\"",
        (i * 37) % 1_000_000,
        i % 256,
        (i / 256) % 256,
        1024 + i % 60000,
        i % 200 + 1,
        i % 100,
        200 + i % 800,
        1000 + i % 9000,
        i % 10,
        i % 4096,
        i * 7919,
        i % 200 + 1,
    )
}

/// A WAF web ACL log record (JSON, ~1 KB with its headers), the `i`th of a
/// stream: 20 requests a second.
pub fn waf(i: usize) -> String {
    let ms = (T0_SECONDS * 1000) + i as i64 * 50;
    let action = if i % 11 == 0 { "BLOCK" } else { "ALLOW" };
    format!(
        concat!(
            r#"{{"timestamp":{ms},"formatVersion":1,"webaclId":"arn:aws:wafv2:eu-west-1:111122223333:regional/webacl/shop/a1b2c3d4-5678-90ab-cdef-EXAMPLE11111","#,
            r#""terminatingRuleId":"Default_Action","terminatingRuleType":"REGULAR","action":"{action}","terminatingRuleMatchDetails":[],"#,
            r#""httpSourceName":"ALB","httpSourceId":"111122223333-app/shop/0123456789abcdef","ruleGroupList":[{{"ruleGroupId":"AWS#AWSManagedRulesCommonRuleSet","terminatingRule":null,"nonTerminatingMatchingRules":[],"excludedRules":null,"customerConfig":null}}],"#,
            r#""rateBasedRuleList":[],"nonTerminatingMatchingRules":[],"requestHeadersInserted":null,"responseCodeSent":null,"#,
            r#""httpRequest":{{"clientIp":"203.0.{a}.{b}","country":"{country}","headers":[{{"name":"Host","value":"shop.example.com"}},{{"name":"User-Agent","value":"Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"}},{{"name":"Accept","value":"text/html,application/xhtml+xml"}},{{"name":"Accept-Language","value":"en-GB,en;q=0.5"}},{{"name":"Cookie","value":"session={i:016x}"}}],"#,
            r#""uri":"/items/{i}","args":"page={page}","httpVersion":"HTTP/2.0","httpMethod":"GET","requestId":"1-6921f{r:03x}-{i:024x}"}},"#,
            r#""labels":[{{"name":"awswaf:managed:aws:core-rule-set:NoUserAgent_Header"}}],"ja3Fingerprint":"{i:032x}"}}"#
        ),
        ms = ms,
        action = action,
        i = i,
        a = i % 256,
        b = (i / 256) % 256,
        country = ["NL", "US", "DE", "BR"][i % 4],
        page = i % 10,
        r = i % 4096,
    )
}

/// A Network Firewall netflow record, the `i`th of a stream.
pub fn network_firewall(i: usize) -> String {
    let t = T0_SECONDS + i as i64 / 50;
    let (h, m, s) = ((t / 3600) % 24, (t / 60) % 60, t % 60);
    format!(
        concat!(
            r#"{{"firewall_name":"egress","availability_zone":"eu-west-1a","event_timestamp":"{t}","event":{{"#,
            r#""timestamp":"2025-11-22T{h:02}:{m:02}:{s:02}.{us:06}+0000","flow_id":{flow},"event_type":"netflow","#,
            r#""src_ip":"10.0.{a}.{b}","src_port":{sp},"dest_ip":"203.0.113.{c}","dest_port":{dp},"proto":"TCP","app_proto":"tls","#,
            r#""netflow":{{"pkts":{pkts},"bytes":{bytes},"start":"2025-11-22T{h:02}:{m:02}:{s:02}.000000+0000","end":"2025-11-22T{h:02}:{m:02}:{s:02}.500000+0000","age":0,"min_ttl":63,"max_ttl":64}},"#,
            r#""tcp":{{"tcp_flags":"1b","syn":true,"fin":true,"psh":true,"ack":true}}}}}}"#
        ),
        t = t,
        h = h,
        m = m,
        s = s,
        us = (i * 37) % 1_000_000,
        flow = 1_000_000_000_000 + i * 7919,
        a = i % 256,
        b = (i / 256) % 256,
        c = i % 200,
        sp = 1024 + i % 60000,
        dp = [443, 80, 53, 5432][i % 4],
        pkts = 1 + i % 40,
        bytes = 84 * (1 + i % 40),
    )
}

/// A Route 53 Resolver query log record, the `i`th of a stream.
pub fn resolver(i: usize) -> String {
    let t = T0_SECONDS + i as i64 / 50;
    let (h, m, s) = ((t / 3600) % 24, (t / 60) % 60, t % 60);
    format!(
        concat!(
            r#"{{"version":"1.100000","account_id":"111122223333","region":"eu-west-1","vpc_id":"vpc-0a1b2c3d4e5f60718","#,
            r#""query_timestamp":"2025-11-22T{h:02}:{m:02}:{s:02}Z","query_name":"svc{n}.internal.example.","query_type":"A","query_class":"IN","#,
            r#""rcode":"NOERROR","answers":[{{"Rdata":"10.0.2.{n}","Type":"A","Class":"IN"}}],"srcaddr":"10.0.{a}.{b}","srcport":"{p}","#,
            r#""transport":"UDP","srcids":{{"instance":"i-0123456789abc{i:04x}"}}}}"#
        ),
        h = h,
        m = m,
        s = s,
        i = i,
        n = i % 200,
        a = i % 256,
        b = (i / 256) % 256,
        p = 1024 + i % 60000,
    )
}

/// A CloudFront standard log line (today's 33 fields, tab-separated).
pub fn cloudfront(i: usize) -> String {
    let t = T0_SECONDS + i as i64 / 50;
    let (h, m, s) = ((t / 3600) % 24, (t / 60) % 60, t % 60);
    format!(
        "2025-11-22\t{h:02}:{m:02}:{s:02}\tAMS58-P3\t{bytes}\t203.0.{a}.{b}\tGET\td111111abcdef8.cloudfront.net\t/items/{i}\t200\thttps://www.example.com/\tMozilla/5.0%20(X11;%20Linux%20x86_64;%20rv:133.0)%20Gecko/20100101%20Firefox/133.0\tpage={page}\t-\tHit\t{i:056x}\twww.example.com\thttps\t{cs}\t0.0{ms:02}\t-\tTLSv1.3\tTLS_AES_128_GCM_SHA256\tHit\tHTTP/2.0\t-\t-\t{port}\t0.0{ms:02}\tHit\ttext/html\t{len}\t-\t-",
        bytes = 2000 + i % 5000,
        a = i % 256,
        b = (i / 256) % 256,
        page = i % 10,
        cs = 300 + i % 200,
        ms = i % 100,
        port = 1024 + i % 60000,
        len = 1800 + i % 5000,
    )
}

/// A GuardDuty finding as GuardDuty exports it to S3 (one a line).
pub fn guardduty(i: usize) -> String {
    let t = T0_SECONDS + i as i64 / 10;
    let (h, m, s) = ((t / 3600) % 24, (t / 60) % 60, t % 60);
    format!(
        concat!(
            r#"{{"schemaVersion":"2.0","accountId":"111122223333","region":"eu-west-1","partition":"aws","id":"{i:032x}","arn":"arn:aws:guardduty:eu-west-1:111122223333:detector/d1/finding/{i:032x}","type":"Recon:EC2/PortProbeUnprotectedPort","#,
            r#""resource":{{"resourceType":"Instance","instanceDetails":{{"instanceId":"i-0123456789a{r:06x}","instanceType":"t3.micro","networkInterfaces":[{{"privateIpAddress":"10.0.{a}.{b}","publicIp":"203.0.113.{c}","subnetId":"subnet-0a1b2c3d","vpcId":"vpc-0a1b2c3d"}}],"tags":[{{"key":"team","value":"shop"}}]}}}},"#,
            r#""service":{{"serviceName":"guardduty","detectorId":"d1","archived":false,"count":{count},"eventFirstSeen":"2025-11-22T{h:02}:{m:02}:{s:02}.000Z","eventLastSeen":"2025-11-22T{h:02}:{m:02}:{s:02}.000Z","resourceRole":"TARGET","#,
            r#""action":{{"actionType":"NETWORK_CONNECTION","networkConnectionAction":{{"connectionDirection":"INBOUND","protocol":"TCP","blocked":false,"remoteIpDetails":{{"ipAddressV4":"198.51.{a}.{b}","organization":{{"asn":"64496","asnOrg":"EXAMPLE"}},"country":{{"countryName":"Netherlands"}}}},"remotePortDetails":{{"port":{p}}},"localPortDetails":{{"port":22}}}}}},"#,
            r#""additionalInfo":{{"threatListName":"ProofPoint","sample":false}}}},"severity":{sev},"createdAt":"2025-11-22T{h:02}:{m:02}:{s:02}.000Z","updatedAt":"2025-11-22T{h:02}:{m:02}:{s:02}.500Z","#,
            r#""title":"Unprotected port on EC2 instance is being probed.","description":"EC2 instance has an unprotected port which is being probed by a known malicious host."}}"#
        ),
        i = i,
        r = i % 4096,
        a = i % 256,
        b = (i / 256) % 256,
        c = i % 200,
        count = 1 + i % 9,
        h = h,
        m = m,
        s = s,
        p = 1024 + i % 60000,
        sev = [2.0, 5.0, 8.0][i % 3],
    )
}

/// A Security Hub finding (ASFF).
fn asff(i: usize) -> String {
    format!(
        concat!(
            r#"{{"SchemaVersion":"2018-10-08","Id":"arn:aws:securityhub:eu-west-1:111122223333:subscription/aws-foundational-security-best-practices/v/1.0.0/S3.8/finding/{i:032x}","#,
            r#""ProductArn":"arn:aws:securityhub:eu-west-1::product/aws/securityhub","ProductName":"Security Hub","CompanyName":"AWS","Region":"eu-west-1","#,
            r#""GeneratorId":"aws-foundational-security-best-practices/v/1.0.0/S3.8","AwsAccountId":"111122223333","Types":["Software and Configuration Checks/Industry and Regulatory Standards"],"#,
            r#""FirstObservedAt":"2025-11-20T10:00:00.000Z","LastObservedAt":"2025-11-22T10:00:00.000Z","CreatedAt":"2025-11-20T10:00:00.000Z","UpdatedAt":"2025-11-22T10:{m:02}:00.000Z","#,
            r#""Severity":{{"Label":"MEDIUM","Normalized":40,"Original":"MEDIUM"}},"Title":"S3 general purpose buckets should block public access","#,
            r#""ProductFields":{{"StandardsArn":"arn:aws:securityhub:::standards/aws-foundational-security-best-practices/v/1.0.0","ControlId":"S3.8","aws/securityhub/ProductName":"Security Hub"}},"#,
            r#""Resources":[{{"Type":"AwsS3Bucket","Id":"arn:aws:s3:::bucket-{i}","Partition":"aws","Region":"eu-west-1","Details":{{"AwsS3Bucket":{{"OwnerId":"abc","CreatedAt":"2025-01-01T00:00:00.000Z"}}}}}}],"#,
            r#""Compliance":{{"Status":"FAILED"}},"Workflow":{{"Status":"NEW"}},"RecordState":"ACTIVE"}}"#
        ),
        i = i,
        m = i % 60,
    )
}

/// A Security Hub EventBridge event holding two findings.
pub fn security_hub_event(i: usize) -> String {
    format!(
        r#"{{"version":"0","id":"{i:08x}-d81c-4d81-612a-9319e7ee2506","detail-type":"Security Hub Findings - Imported","source":"aws.securityhub","account":"111122223333","time":"2025-11-22T10:00:05Z","region":"eu-west-1","resources":[],"detail":{{"findings":[{},{}]}}}}"#,
        asff(2 * i),
        asff(2 * i + 1),
    )
}

/// A GuardDuty finding as EventBridge delivers it.
pub fn guardduty_event(i: usize) -> String {
    format!(
        r#"{{"version":"0","id":"{i:08x}-0c0e-4b6a-8c4f-b0e1f2a3b4c5","detail-type":"GuardDuty Finding","source":"aws.guardduty","account":"111122223333","time":"2025-11-22T10:00:05Z","region":"eu-west-1","resources":[],"detail":{}}}"#,
        guardduty(i)
    )
}

/// An AWS Config configuration item.
pub fn config_item(i: usize) -> String {
    format!(
        concat!(
            r#"{{"relatedEvents":[],"relationships":[{{"resourceId":"vpc-0a1b2c3d","resourceName":null,"resourceType":"AWS::EC2::VPC","name":"Is contained in Vpc"}}],"#,
            r#""configuration":{{"description":"web tier","groupName":"sg-{i}","ipPermissions":[{{"fromPort":443,"ipProtocol":"tcp","ipv4Ranges":[{{"cidrIp":"0.0.0.0/0"}}],"toPort":443}}],"ownerId":"111122223333","groupId":"sg-{i:017x}","vpcId":"vpc-0a1b2c3d"}},"#,
            r#""supplementaryConfiguration":{{}},"tags":{{"team":"shop"}},"configurationItemVersion":"1.3","configurationItemCaptureTime":"2025-11-22T10:{m:02}:00.123Z","configurationStateId":{id},"#,
            r#""awsAccountId":"111122223333","configurationItemStatus":"OK","resourceType":"AWS::EC2::SecurityGroup","resourceId":"sg-{i:017x}","resourceName":"sg-{i}","#,
            r#""ARN":"arn:aws:ec2:eu-west-1:111122223333:security-group/sg-{i:017x}","awsRegion":"eu-west-1","availabilityZone":"Not Applicable","configurationStateMd5Hash":""}}"#
        ),
        i = i,
        m = i % 60,
        id = 1_763_800_000_000_i64 + i as i64,
    )
}

/// An EKS audit event.
pub fn eks_audit(i: usize) -> String {
    let t = T0_SECONDS + i as i64 / 50;
    let (h, m, s) = ((t / 3600) % 24, (t / 60) % 60, t % 60);
    format!(
        concat!(
            r#"{{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"{i:08x}-7d43-4b0e-9f44-8c2c1c0b1a10","stage":"ResponseComplete","#,
            r#""requestURI":"/api/v1/namespaces/shop/pods?limit=500","verb":"list","user":{{"username":"system:serviceaccount:shop:app","uid":"{i:08x}","groups":["system:serviceaccounts","system:authenticated"]}},"#,
            r#""sourceIPs":["10.0.{a}.{b}"],"userAgent":"kubectl/v1.31.0 (linux/amd64)","objectRef":{{"resource":"pods","namespace":"shop","apiVersion":"v1"}},"#,
            r#""responseStatus":{{"metadata":{{}},"code":200}},"requestReceivedTimestamp":"2025-11-22T{h:02}:{m:02}:{s:02}.{us:06}Z","stageTimestamp":"2025-11-22T{h:02}:{m:02}:{s:02}.{us:06}Z","#,
            r#""annotations":{{"authorization.k8s.io/decision":"allow","authorization.k8s.io/reason":"RBAC: allowed by ClusterRoleBinding"}}}}"#
        ),
        i = i,
        a = i % 256,
        b = (i / 256) % 256,
        h = h,
        m = m,
        s = s,
        us = (i * 37) % 1_000_000,
    )
}

/// An API Gateway JSON access log line.
pub fn apigateway(i: usize) -> String {
    let t = T0_SECONDS + i as i64 / 50;
    let (h, m, s) = ((t / 3600) % 24, (t / 60) % 60, t % 60);
    format!(
        r#"{{"requestId":"{i:08x}-7b61-11e6-9a41-93e8deadbeef","ip":"198.51.{a}.{b}","caller":"-","user":"-","requestTime":"22/Nov/2025:{h:02}:{m:02}:{s:02} +0000","httpMethod":"GET","resourcePath":"/orders/{{id}}","status":"{status}","protocol":"HTTP/1.1","responseLength":"{len}","integrationLatency":"{lat}","responseLatency":"{rl}"}}"#,
        a = i % 256,
        b = (i / 256) % 256,
        status = [200, 200, 404, 502][i % 4],
        len = 100 + i % 900,
        lat = 5 + i % 50,
        rl = 10 + i % 60,
    )
}

/// An Aurora MySQL audit line.
pub fn rds_audit(i: usize) -> String {
    format!(
        "{},ip-10-0-1-5,app,10.0.{}.{},{},{},QUERY,orders,'SELECT id, total FROM orders WHERE id = {i}',0",
        (T0_SECONDS * 1_000_000) + i as i64 * 20_000,
        i % 256,
        (i / 256) % 256,
        100 + i % 50,
        i * 3,
    )
}

/// A Route 53 public DNS query log line.
pub fn route53_public(i: usize) -> String {
    let t = T0_SECONDS + i as i64 / 50;
    let (h, m, s) = ((t / 3600) % 24, (t / 60) % 60, t % 60);
    format!(
        "1.0 2025-11-22T{h:02}:{m:02}:{s:02}.{ms:03}Z Z0123456789ABCDEFGHIJ host{n}.example.com {qt} NOERROR UDP FRA56-C2 192.0.2.{r} 198.51.{a}.0/24",
        ms = i % 1000,
        n = i % 500,
        qt = ["A", "AAAA", "MX", "TXT"][i % 4],
        r = i % 250,
        a = i % 256,
    )
}

/// An EventBridge event of another source (EC2 state changes).
pub fn eventbridge(i: usize) -> String {
    let t = T0_SECONDS + i as i64 / 50;
    let (h, m, s) = ((t / 3600) % 24, (t / 60) % 60, t % 60);
    format!(
        r#"{{"version":"0","id":"{i:08x}-b491-4cf7-a9f1-bf3703467718","detail-type":"EC2 Instance State-change Notification","source":"aws.ec2","account":"111122223333","time":"2025-11-22T{h:02}:{m:02}:{s:02}Z","region":"eu-west-1","resources":["arn:aws:ec2:eu-west-1:111122223333:instance/i-0123456789a{r:06x}"],"detail":{{"instance-id":"i-0123456789a{r:06x}","state":"{state}"}}}}"#,
        r = i % 4096,
        state = ["pending", "running", "stopping", "stopped"][i % 4],
    )
}

/// A PostgreSQL line with RDS's log_line_prefix.
pub fn rds_postgres(i: usize) -> String {
    let t = T0_SECONDS + i as i64 / 50;
    let (h, m, s) = ((t / 3600) % 24, (t / 60) % 60, t % 60);
    format!(
        "2025-11-22 {h:02}:{m:02}:{s:02} UTC:10.0.{a}.{b}({p}):app@orders:[{pid}]:LOG:  duration: {d}.{f:03} ms  statement: SELECT id, total FROM orders WHERE id = {i}",
        a = i % 256,
        b = (i / 256) % 256,
        p = 1024 + i % 60000,
        pid = 4000 + i % 500,
        d = i % 90,
        f = i % 1000,
    )
}
