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
