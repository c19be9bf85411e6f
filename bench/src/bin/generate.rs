//! `generate`: fills a database with a whole country's library support staff.
//!
//! ```sh
//! DATABASE_URL=postgres://postgres@127.0.0.1/lsscp_bench cargo run --release -p bench --bin generate -- --seed 7 --scale 1.0
//! ```

use bench::generate::{self, plan::Config};
use bench::sink::Method;
use clap::Parser;
use std::process::ExitCode;
use std::time::Instant;

#[derive(Parser, Debug)]
#[command(about = "Generates the LSSCP benchmark data set (deterministic: same seed, same data).")]
struct Args {
    /// The seed of every random choice.
    #[arg(long, default_value_t = 7)]
    seed: u64,
    /// 1.0 is the whole country: 150,000 applicants, 120,000 candidacies, ...
    #[arg(long, default_value_t = 1.0)]
    scale: f64,
    /// The day the data describes (history runs up to it), YYYY-MM-DD.
    #[arg(long, value_parser = generate::parse_day, default_value = "2026-11-01")]
    as_of: chrono::NaiveDate,
    /// Empty a database that already holds data instead of refusing.
    #[arg(long)]
    wipe: bool,
    /// How rows are written; COPY needs PostgreSQL. Default: COPY on PostgreSQL, INSERT on SQLite.
    #[arg(long, value_enum)]
    method: Option<Method>,
    #[arg(long, env = "DATABASE_URL")]
    database_url: String,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    let t0 = Instant::now();
    let db = match bench::connect(&args.database_url).await {
        Ok(db) => db,
        Err(e) => {
            eprintln!("cannot connect: {e}");
            return ExitCode::FAILURE;
        }
    };
    let method = args
        .method
        .unwrap_or(if args.database_url.starts_with("postgres") {
            Method::Copy
        } else {
            Method::Insert
        });
    if let Err(e) = generate::prepare(&db, args.wipe).await {
        eprintln!("{e}");
        return ExitCode::FAILURE;
    }
    let cfg = Config {
        seed: args.seed,
        scale: args.scale,
        as_of: args.as_of,
    };
    println!(
        "generating: seed {}, scale {}, as of {}, {:?}",
        cfg.seed, cfg.scale, cfg.as_of, method
    );
    match generate::generate(&db, &cfg, method).await {
        Ok(r) => {
            for (t, n) in &r.tables {
                println!("{t:>32} {n:>10}");
            }
            println!(
                "{:>32} {:>10}\nplanned in {:.1} s, loaded in {:.1} s, indexed statistics in {:.1} s; {:.1} s in all",
                "total rows",
                r.total(),
                r.plan_secs,
                r.load_secs,
                r.analyze_secs,
                t0.elapsed().as_secs_f64()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("generation failed: {e}");
            ExitCode::FAILURE
        }
    }
}
