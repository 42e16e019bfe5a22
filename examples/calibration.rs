//! Prints the step-time model's predictions against the published step times of every GPU
//! that has them (`cargo run --example calibration`); the README's calibration table comes
//! from here.

fn main() {
    let c = gpuaas_sim::catalog::Catalog::bundled();
    for (i, cal) in gpuaas_sim::serving::steptime::calibration(&c).into_iter().enumerate() {
        if i > 0 {
            println!();
        }
        println!(
            "| step (Llama-3.1-8B shapes, BF16, 1× {}) | predicted ms | measured ms | error |",
            cal.gpu
        );
        println!("|---|---|---|---|");
        for (label, p, m) in cal.rows {
            println!("| {label} | {p:.2} | {m:.2} | {:+.1}% |", (p - m) / m * 100.0);
        }
        println!("\n{}: median absolute error {:.1}%", cal.gpu, cal.median_error_pct);
    }
}
