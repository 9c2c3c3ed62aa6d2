//! `timber check`: placeholder until its issue lands.

/// Arguments of `timber check`.
#[derive(clap::Args)]
pub struct Args {}

pub fn run(_args: Args) -> anyhow::Result<u8> {
    anyhow::bail!("`timber check` is not available in this build")
}
