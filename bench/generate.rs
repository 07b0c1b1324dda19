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
