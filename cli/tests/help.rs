//! Every command and flag explains itself, completions come out for each shell, and a secret is
//! read from a file or standard input, never taken from the command line.

use clap::{CommandFactory, Parser};
use herald_cli::Cli;

fn undocumented(command: &clap::Command, path: &str, missing: &mut Vec<String>) {
    let path = format!("{path} {}", command.get_name());
    if command.get_about().is_none() && command.get_long_about().is_none() {
        missing.push(format!("{path}: command"));
    }
    for arg in command.get_arguments() {
        let id = arg.get_id().as_str();
        if matches!(id, "help" | "version") {
            continue;
        }
        if arg.get_help().is_none() && arg.get_long_help().is_none() {
            missing.push(format!("{path}: {id}"));
        }
    }
    for sub in command.get_subcommands().filter(|s| s.get_name() != "help") {
        undocumented(sub, &path, missing);
    }
}

#[test]
fn every_command_and_flag_has_help() {
    let mut missing = Vec::new();
    undocumented(&Cli::command(), "", &mut missing);
    assert!(missing.is_empty(), "without help text:\n{}", missing.join("\n"));
}

#[test]
fn completions_for_every_shell() {
    for (shell, marker) in [
        (clap_complete::Shell::Bash, "complete -F"),
        (clap_complete::Shell::Zsh, "#compdef herald"),
        (clap_complete::Shell::Fish, "complete -c herald"),
    ] {
        let script = herald_cli::completions(shell);
        assert!(
            script.contains(marker) && script.contains("dead-letters"),
            "{shell}: {}",
            &script[..200.min(script.len())]
        );
    }
}

#[test]
fn secrets_are_not_taken_from_the_command_line() {
    let parsed = Cli::try_parse_from(["herald", "targets", "add", "--secret", "whsec_x"]);
    assert!(parsed.is_err(), "--secret on the command line would sit in shell history");
    let parsed = Cli::try_parse_from(["herald", "targets", "add", "--secret-file", "-"]);
    assert!(parsed.is_ok());
}
