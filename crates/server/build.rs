//! Rebuilds the crate when the embedded UI (`ui/`) changes: `include_dir!`
//! alone does not notice files that were added or removed.

fn main() {
    println!("cargo:rerun-if-changed=ui");
}
