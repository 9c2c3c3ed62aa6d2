//! `timber verify`: placeholder until its issue lands.

/// Arguments of `timber verify`.
#[derive(clap::Args)]
pub struct Args {}

pub fn run(_args: Args) -> anyhow::Result<u8> {
    anyhow::bail!("`timber verify` is not available in this build")
}
