//! strata's command line on the blog models:
//!
//! ```sh
//! DATABASE_URL=sqlite://blog.db cargo run -p schema-examples --bin strata -- migrate status
//! cargo run -p schema-examples --bin strata -- erd
//! ```

use schema_examples::blog::BlogSchema;
use strata::ModelSet;

fn main() -> std::process::ExitCode {
    strata::cli::run(&BlogSchema::schemas())
}
