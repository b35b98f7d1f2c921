//! `baladiya usage`: the data the app has moved per feature, this month and the months before,
//! and since it was installed — what the phone's settings screen shows.

use baladiya_core::usage::DataUsage;
use baladiya_core::{Baladiya, Error};

pub fn run(core: &Baladiya, months: u32) -> Result<(), Error> {
    for month in core.data_usage_by_month(months.max(1))? {
        say!("{}", month.month);
        rows(&month.features);
    }
    say!("since installed");
    rows(&core.data_usage()?);
    Ok(())
}

fn rows(usage: &[DataUsage]) {
    let (mut sent, mut received) = (0, 0);
    for u in usage {
        say!(
            "  {:<11} {:>10} sent  {:>10} received",
            u.feature,
            bytes(u.bytes_sent),
            bytes(u.bytes_received)
        );
        sent += u.bytes_sent;
        received += u.bytes_received;
    }
    say!("  {:<11} {:>10} sent  {:>10} received", "total", bytes(sent), bytes(received));
}

/// Bytes as a person reads them: "850 B", "12.4 KB", "3.1 MB" (powers of 1,000, as data plans count).
pub fn bytes(n: u64) -> String {
    match n {
        0..1_000 => format!("{n} B"),
        1_000..1_000_000 => format!("{:.1} KB", n as f64 / 1e3),
        1_000_000..1_000_000_000 => format!("{:.1} MB", n as f64 / 1e6),
        _ => format!("{:.2} GB", n as f64 / 1e9),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn bytes_read_as_a_data_plan_counts_them() {
        assert_eq!(super::bytes(850), "850 B");
        assert_eq!(super::bytes(12_400), "12.4 KB");
        assert_eq!(super::bytes(3_140_000), "3.1 MB");
        assert_eq!(super::bytes(2_500_000_000), "2.50 GB");
    }
}
