//! `leakscope completions SHELL` and `leakscope man`: shell completions and man pages, made
//! from the same clap definitions as `--help`, so they never disagree with the binary.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, CommandFactory};
use clap_complete::Shell;

use crate::cli::{Cli, Common, TEMPLATE_MARK};

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: Shell,
}

#[derive(Debug, Args)]
pub struct ManArgs {
    /// Write leakscope.1 and leakscope-COMMAND.1 pages into this directory (created if needed)
    /// instead of printing leakscope(1) to stdout.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

/// Print the completion script for `args.shell` on stdout.
pub fn completions(args: &CompletionsArgs) -> anyhow::Result<u8> {
    let mut cmd = Cli::command();
    let mut buf = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, "leakscope", &mut buf);
    std::io::stdout().write_all(&literal_templates(buf))?;
    Ok(0)
}

/// Print leakscope(1), or write every page into `--out`.
pub fn man(args: &ManArgs, common: &Common) -> anyhow::Result<u8> {
    let cmd = Cli::command();
    let Some(dir) = &args.out else {
        let mut buf = Vec::new();
        clap_mangen::Man::new(cmd).render(&mut buf)?;
        std::io::stdout().write_all(&literal_templates(buf))?;
        return Ok(0);
    };
    std::fs::create_dir_all(dir)
        .with_context(|| format!("cannot create the man page directory {}", dir.display()))?;
    let mut pages = vec![(String::from("leakscope"), cmd.clone())];
    for sub in cmd.get_subcommands() {
        pages.push((format!("leakscope-{}", sub.get_name()), sub.clone()));
    }
    for (name, page) in pages {
        let page = page.name(name.clone());
        let mut buf = Vec::new();
        clap_mangen::Man::new(page).render(&mut buf)?;
        let path = dir.join(format!("{name}.1"));
        std::fs::write(&path, literal_templates(buf))
            .with_context(|| format!("cannot write {}", path.display()))?;
        if !common.quiet {
            eprintln!("leakscope: wrote {}", path.display());
        }
    }
    Ok(0)
}

/// Help text writes load templates as `{#n}` (clap would turn `{n}` into a line break); pages
/// and scripts show them as users type them.
fn literal_templates(bytes: Vec<u8>) -> Vec<u8> {
    String::from_utf8(bytes)
        .map(|s| s.replace(TEMPLATE_MARK, "{").into_bytes())
        .unwrap_or_else(|e| e.into_bytes())
}
