//! `mla-tracker user …`: creating users, listing them, and giving one a
//! new token, through the same services as `POST /users`, `GET /users` and
//! `POST /users/{id}/tokens`; `user set-password` gives a password for the
//! web pages (the first admin's, or a script's). `user rotate-token` is the way back from a
//! lost admin token: whoever can run the binary on the host has the
//! database itself (docs/SECURITY.md).

use super::open;
use super::support::{block_on, explained};
use crate::config::Settings;
use crate::db::open::Open;
use crate::db::users::User;
use crate::domain::Role;
use crate::services::users::NewUser;

/// `user add`: prints the token, alone, on stdout.
pub fn add(settings: Settings, name: String, email: String, role: String) -> anyhow::Result<()> {
    let role: Role = role.parse().map_err(|e: String| anyhow::anyhow!(e))?;
    let services = open::services(settings, Open::Create, "user add")?;
    let created = block_on(services.create_user(NewUser { name, email, role }))
        .map_err(|e| explained("cannot create the user", e))?;
    println!("{}", created.token);
    Ok(())
}

/// `user list`: a table, or the users as `GET /users` gives them.
pub fn list(settings: Settings, json: bool) -> anyhow::Result<()> {
    let services = open::services(settings, Open::Existing, "user list")?;
    let users =
        block_on(services.list_users()).map_err(|e| explained("cannot list the users", e))?;
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({ "items": users }))?
        );
    } else {
        print!("{}", table(&users));
    }
    Ok(())
}

/// `user set-password`: reads the password from standard input — at a
/// terminal without echo, and twice to catch a typo; from a pipe, one line
/// (its line ending dropped) — and stores its Argon2id hash.
pub fn set_password(settings: Settings, email: String) -> anyhow::Result<()> {
    use std::io::IsTerminal;
    let services = open::services(settings, Open::Existing, "user set-password")?;
    let password = if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password(format!("New password for {email}: "))?;
        let again = rpassword::prompt_password("Once more: ")?;
        if first != again {
            anyhow::bail!("the two passwords differ; nothing was changed, run the command again");
        }
        first
    } else {
        let mut line = String::new();
        std::io::stdin().read_line(&mut line)?;
        line.trim_end_matches(['\n', '\r']).to_string()
    };
    block_on(services.set_password(&email, password))
        .map_err(|e| explained("cannot set the password", e))?;
    eprintln!("{email} can now sign in at /login with this password.");
    Ok(())
}

/// `user rotate-token`: prints the new token, alone, on stdout; the old one
/// stops working.
pub fn rotate_token(settings: Settings, email: String) -> anyhow::Result<()> {
    let services = open::services(settings, Open::Existing, "user rotate-token")?;
    let token = block_on(async {
        let Some(user) = services
            .user_by_email(&email)
            .await
            .map_err(|e| explained("cannot find the user", e))?
        else {
            anyhow::bail!(
                "no user has the email `{email}`; `mla-tracker user list` shows who there is"
            );
        };
        if !user.active {
            anyhow::bail!(
                "{} ({}) is deactivated, and a deactivated user has no token; create a new \
                 user with `mla-tracker user add`",
                user.name,
                user.email
            );
        }
        services
            .rotate_token(user.id)
            .await
            .map_err(|e| explained("cannot give the user a new token", e))
    })?;
    println!("{token}");
    Ok(())
}

/// name, email, role, active, token created: one line per user, oldest
/// first, in columns.
fn table(users: &[User]) -> String {
    let header = ["name", "email", "role", "active", "token created"].map(String::from);
    let rows: Vec<[String; 5]> = users
        .iter()
        .map(|u| {
            [
                u.name.clone(),
                u.email.clone(),
                u.role.as_str().to_string(),
                if u.active { "yes" } else { "no" }.to_string(),
                match (u.active, u.token_created_at) {
                    (true, Some(at)) => at.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
                    _ => "-".to_string(),
                },
            ]
        })
        .collect();
    let mut widths = header.clone().map(|h| h.chars().count());
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for row in std::iter::once(&header).chain(&rows) {
        let cells: Vec<String> = row
            .iter()
            .zip(widths)
            .map(|(cell, width)| format!("{cell:<width$}"))
            .collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_aligns_names_of_any_script() {
        let at = "2026-06-15T08:00:00Z".parse().unwrap();
        let user = |name: &str, email: &str, role, active| User {
            id: uuid::Uuid::nil(),
            name: name.into(),
            email: email.into(),
            role,
            active,
            created_at: at,
            token_created_at: Some(at),
            deactivated_at: None,
        };
        let shown = table(&[
            user("admin", "admin@localhost", Role::Admin, true),
            user("Zoé Éluard", "zoe@justice.example", Role::Clerk, false),
        ]);
        assert_eq!(
            shown,
            "name        email                role   active  token created\n\
             admin       admin@localhost      admin  yes     2026-06-15T08:00:00Z\n\
             Zoé Éluard  zoe@justice.example  clerk  no      -\n"
        );
    }
}
