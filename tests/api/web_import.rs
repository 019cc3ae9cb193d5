//! The import page (`/imports`) over HTTP, as a browser without JavaScript
//! sends its multipart form: who sees it, the report of a check and of a
//! real run over the committed fixtures (tests/fixtures/import, described
//! in `imports.rs`), a clean check offering the real import, the CSRF
//! token, and each kind of refused file or mapping beside its field.

use std::collections::BTreeSet;

use crate::common::{TestApp, spawn_app, spawn_app_with};
use crate::imports::{GOOD, fixture, form, references};
use crate::web::{Browser, PASSWORD, Page, escaped, user_with_password};
use crate::web_request::refused_beside;

/// A signed-in browser of `role`, in `language`.
async fn signed_in(app: &TestApp, role: &str, language: &'static str) -> Browser {
    let email = user_with_password(app, role).await;
    let mut browser = Browser::new(app);
    browser.accept_language = Some(language);
    browser.sign_in(&email, PASSWORD).await;
    browser
}

/// Sends the import form as the page does: the CSRF token first (when
/// given), then `fields`, then the file.
async fn send(
    browser: &mut Browser,
    csrf: Option<&str>,
    file_name: &str,
    bytes: &[u8],
    fields: &[(&str, &str)],
) -> Page {
    let mut all: Vec<(&str, &str)> = csrf.map(|t| ("csrf_token", t)).into_iter().collect();
    all.extend_from_slice(fields);
    let (content_type, body) = form(file_name, bytes, &all);
    browser.post_raw("/imports", &content_type, body).await
}

/// Opens the form, then sends it with its token.
async fn upload(
    browser: &mut Browser,
    file_name: &str,
    bytes: &[u8],
    fields: &[(&str, &str)],
) -> Page {
    let form_page = browser.get("/imports").await;
    assert_eq!(form_page.status, 200, "{}", form_page.body);
    send(browser, Some(&form_page.csrf()), file_name, bytes, fields).await
}

/// The text of each cell of each body row of the table of class `class`,
/// character references read back.
fn table(page: &Page, class: &str) -> Vec<Vec<String>> {
    let start = page
        .body
        .find(&format!(r#"<table class="{class}""#))
        .unwrap_or_else(|| panic!("no table {class}: {}", page.body));
    let rest = &page.body[start..];
    let body = &rest[rest.find("<tbody>").unwrap()..rest.find("</tbody>").unwrap()];
    body.split("<tr>")
        .skip(1)
        .map(|row| {
            row.match_indices("<t")
                .filter(|(i, _)| matches!(&row[i + 2..i + 3], "d" | "h"))
                .map(|(i, _)| {
                    let text = &row[i..];
                    let text = &text[text.find('>').unwrap() + 1..text.find("</t").unwrap()];
                    text.replace("&#39;", "'")
                        .replace("&#x27;", "'")
                        .replace("&quot;", "\"")
                        .replace("&#34;", "\"")
                        .replace("&#60;", "<")
                        .replace("&#62;", ">")
                        .replace("&#38;", "&")
                        .replace("&lt;", "<")
                        .replace("&gt;", ">")
                        .replace("&amp;", "&")
                        .trim()
                        .to_string()
                })
                .collect()
        })
        .collect()
}

/// The fixture without its three bad rows (4, 6 and 8): a clean file.
fn clean_csv() -> Vec<u8> {
    let bytes = fixture("register-fr.csv");
    bytes
        .split_inclusive(|b| *b == b'\n')
        .enumerate()
        .filter(|(i, _)| ![3, 5, 7].contains(i))
        .flat_map(|(_, line)| line.iter().copied())
        .collect()
}

#[actix_web::test]
async fn coordinators_and_admins_get_the_form_and_a_link_to_it_clerks_and_analysts_the_403_page() {
    let app = spawn_app().await;
    for role in ["coordinator", "admin"] {
        let mut browser = signed_in(&app, role, "en").await;
        let register = browser.get("/requests").await;
        assert!(
            register
                .body
                .contains(r#"<a href="/imports">Import a spreadsheet</a>"#)
        );
        let page = browser.get("/imports").await;
        assert_eq!(page.status, 200, "{role}: {}", page.body);
        for part in [
            r#"enctype="multipart/form-data""#,
            r#"name="csrf_token""#,
            r#"name="file" type="file" accept=".xlsx,.ods,.csv""#,
            r#"name="dry_run" value="true" checked"#,
            r#"name="skip_invalid" value="true">"#,
            r#"name="mapping" type="file""#,
            r#"<label for="import-file">"#,
            r#"aria-describedby="import-file-hint""#,
            // Every column by its French and English header, and the limit.
            ">Pays requis</td>",
            ">Requested country</td>",
            ">Date d&#39;envoi</td>",
            "<code>target_country</code>",
            "Largest file accepted: 20\u{a0}MB.",
        ] {
            assert!(page.body.contains(part), "{role}: {part} missing");
        }
        // The token is the form's first field, ahead of the file.
        let token = page.body.find(r#"name="csrf_token""#).unwrap();
        let file = page.body.find(r#"name="file""#).unwrap();
        assert!(token < file);
    }
    for role in ["clerk", "analyst"] {
        let mut browser = signed_in(&app, role, "fr").await;
        let page = browser.get("/imports").await;
        assert_eq!(page.status, 403, "{role}");
        assert!(page.body.contains("Accès refusé"), "{role}");
        let register = browser.get("/requests").await;
        assert!(!register.body.contains(r#"href="/imports""#), "{role}");
        let csrf = register.csrf();
        let sent = send(
            &mut browser,
            Some(&csrf),
            "register-fr.csv",
            &fixture("register-fr.csv"),
            &[("skip_invalid", "true")],
        )
        .await;
        assert_eq!(sent.status, 403, "{role}");
    }
    assert!(references(&app).await.is_empty());
    let mut signed_out = Browser::new(&app);
    let page = signed_out.get("/imports").await;
    assert_eq!(page.status, 303);
    assert_eq!(page.location(), "/login?next=%2Fimports");
}

#[actix_web::test]
async fn a_check_of_the_french_csv_lists_its_three_problems_in_french_and_writes_nothing() {
    let app = spawn_app().await;
    let mut browser = signed_in(&app, "coordinator", "fr").await;
    let page = upload(
        &mut browser,
        "register-fr.csv",
        &fixture("register-fr.csv"),
        &[("dry_run", "true")],
    )
    .await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("Vérification de register-fr.csv"));
    assert!(
        page.body.contains(
            "Lignes lues\u{a0}: 7\u{a0}; à créer\u{a0}: 4\u{a0}; à mettre à jour\u{a0}: 0\u{a0}; \
             inchangées\u{a0}: 0\u{a0}; en erreur\u{a0}: 3."
        ),
        "{}",
        page.body
    );
    assert!(page.body.contains("Rien n&#39;a été enregistré"));
    let problems = table(&page, "import-problems");
    let found: BTreeSet<(String, String)> = problems
        .iter()
        .map(|cells| (cells[0].clone(), cells[1].clone()))
        .collect();
    let expected: BTreeSet<(String, String)> = [
        ("4", "Pays requis"),
        ("6", "Date d'envoi"),
        ("8", "Date de clôture"),
    ]
    .into_iter()
    .map(|(r, c)| (r.to_string(), c.to_string()))
    .collect();
    assert_eq!(found, expected, "{problems:?}");
    let country = problems.iter().find(|cells| cells[0] == "4").unwrap();
    assert_eq!(country[2], "Philipines");
    assert!(
        country[3].starts_with("Ce n'est pas un pays"),
        "{country:?}"
    );
    assert_eq!(country[4], "Vouliez-vous dire Philippines (PH)\u{a0}?");
    let date = problems.iter().find(|cells| cells[0] == "6").unwrap();
    assert_eq!(date[2], "31/02/2025");
    assert!(date[3].starts_with("Ce n'est pas une date"), "{date:?}");
    // What would be created: the four good rows.
    let changes = table(&page, "import-changes");
    let created: BTreeSet<&str> = changes.iter().map(|c| c[1].as_str()).collect();
    assert_eq!(created, GOOD.into_iter().collect(), "{changes:?}");
    assert!(changes.iter().all(|c| c[2] == "création"), "{changes:?}");
    // Not clean: no offer to import for real; the form keeps what was asked.
    assert!(!page.body.contains("Importer pour de bon"));
    assert!(page.body.contains(r#"name="dry_run" value="true" checked"#));
    assert!(references(&app).await.is_empty(), "a check writes nothing");
}

#[actix_web::test]
async fn a_real_run_skipping_invalid_rows_creates_the_four_good_requests() {
    let app = spawn_app().await;
    let mut browser = signed_in(&app, "admin", "en").await;
    let refused = upload(
        &mut browser,
        "register-fr.csv",
        &fixture("register-fr.csv"),
        &[],
    )
    .await;
    assert_eq!(refused.status, 200, "{}", refused.body);
    assert!(refused.body.contains("an import is all or nothing"));
    assert!(references(&app).await.is_empty());

    let done = upload(
        &mut browser,
        "register-fr.csv",
        &fixture("register-fr.csv"),
        &[("skip_invalid", "true")],
    )
    .await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert!(done.body.contains("Import of register-fr.csv"));
    assert!(
        done.body
            .contains("Rows read: 7; created: 4; updated: 0; unchanged: 0; with problems: 3.")
    );
    assert!(
        done.body.contains(
            "The register was written; the rows with problems, listed below, were skipped."
        )
    );
    assert_eq!(table(&done, "import-problems").len(), 3);
    assert_eq!(
        references(&app).await,
        GOOD.iter().map(|r| r.to_string()).collect()
    );
    // The same file again: nothing new.
    let again = upload(
        &mut browser,
        "register-fr.csv",
        &fixture("register-fr.csv"),
        &[("skip_invalid", "true")],
    )
    .await;
    let said = &again.body[again.body.find(r#"<p role="status">"#).unwrap()..];
    assert!(
        said.starts_with(
            "<p role=\"status\">Rows read: 7; to create: 0; to update: 0; unchanged: 4; \
             with problems: 3. Nothing was written: the register already holds every row"
        ),
        "{}",
        &said[..300]
    );
}

#[actix_web::test]
async fn a_clean_check_offers_the_real_import_of_the_same_file_chosen_again() {
    let app = spawn_app().await;
    let mut browser = signed_in(&app, "coordinator", "en").await;
    let checked = upload(
        &mut browser,
        "clean.csv",
        &clean_csv(),
        &[("dry_run", "true")],
    )
    .await;
    assert_eq!(checked.status, 200, "{}", checked.body);
    assert!(checked.body.contains("The file can be imported as it is."));
    assert!(checked.body.contains("Import for real"));
    assert!(checked.body.contains("choose the same file again"));
    assert!(!checked.body.contains("import-problems"));
    // The form that follows imports: its dry-run box unchecked.
    assert!(checked.body.contains(r#"name="dry_run" value="true">"#));
    assert!(references(&app).await.is_empty());
    let done = upload(&mut browser, "clean.csv", &clean_csv(), &[]).await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert!(done.body.contains("The register was written"));
    assert_eq!(
        references(&app).await,
        GOOD.iter().map(|r| r.to_string()).collect()
    );
}

#[actix_web::test]
async fn a_form_without_its_csrf_token_or_with_another_is_refused_and_writes_nothing() {
    let app = spawn_app().await;
    let mut browser = signed_in(&app, "coordinator", "en").await;
    let bytes = fixture("register-fr.csv");
    for csrf in [None, Some("0".repeat(64).as_str())] {
        let page = send(
            &mut browser,
            csrf,
            "register-fr.csv",
            &bytes,
            &[("skip_invalid", "true")],
        )
        .await;
        assert_eq!(page.status, 403, "{csrf:?}: {}", page.body);
        assert!(page.body.contains("This form has expired"));
    }
    assert!(references(&app).await.is_empty());
}

#[actix_web::test]
async fn refused_files_and_mappings_are_said_beside_their_field_never_as_an_error_page() {
    let app = spawn_app_with(|s| s.import.max_file_bytes = 1024 * 1024).await;
    let mut browser = signed_in(&app, "coordinator", "fr").await;
    // No file chosen: the browser still sends the part, empty.
    let none = upload(&mut browser, "", b"", &[("dry_run", "true")]).await;
    refused_beside(&none, "import-file", "Choisissez le tableur à importer.");
    assert!(none.body.contains(r##"<a href="#import-file">"##));

    let encrypted = upload(
        &mut browser,
        "encrypted.xlsx",
        &fixture("encrypted.xlsx"),
        &[("dry_run", "true")],
    )
    .await;
    refused_beside(&encrypted, "import-file", "protégé par un mot de passe");

    let garbage = upload(
        &mut browser,
        "x.xlsx",
        b"PK\x03\x04garbage",
        &[("dry_run", "true")],
    )
    .await;
    refused_beside(
        &garbage,
        "import-file",
        "ne peut pas être lu comme un tableur",
    );

    let mapping = upload(
        &mut browser,
        "register-fr.csv",
        &fixture("register-fr.csv"),
        &[
            ("dry_run", "true"),
            ("mapping", "[columns]\n\"Pays\" = \"colour\"\n"),
        ],
    )
    .await;
    refused_beside(
        &mapping,
        "import-mapping",
        "Ce fichier de correspondance est inutilisable.",
    );
    assert!(
        mapping.body.contains("which is not a column"),
        "the parser's detail"
    );

    let big = vec![b'a'; 1024 * 1024 + 1];
    let oversized = upload(&mut browser, "big.csv", &big, &[("dry_run", "true")]).await;
    assert_eq!(oversized.status, 413, "{}", oversized.body);
    assert!(oversized.body.contains(
        r#"<p class="field-error" id="import-file-error">Ce fichier est trop volumineux"#
    ));
    assert!(
        oversized
            .body
            .contains("Taille maximale acceptée : 1\u{a0}Mo.")
    );
    assert!(references(&app).await.is_empty());
}

#[actix_web::test]
async fn what_the_file_says_is_escaped_on_the_page() {
    let app = spawn_app().await;
    let mut browser = signed_in(&app, "coordinator", "en").await;
    let csv = "Reference,<script>alert(1)</script>,Requested country\n\
               IMP-9,x,<b>Philipines</b>\n";
    let page = upload(
        &mut browser,
        "<i>evil</i>.csv",
        csv.as_bytes(),
        &[("dry_run", "true")],
    )
    .await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(!page.body.contains("<script>alert(1)"));
    assert!(!page.body.contains("<b>Philipines"));
    assert!(!page.body.contains("<i>evil"));
    assert!(escaped(&page.body, "<script>alert(1)</script>"));
    assert!(escaped(&page.body, "<b>Philipines</b>"));
    let ignored = table(&page, "import-ignored");
    assert_eq!(ignored[0][0], "<script>alert(1)</script>", "{ignored:?}");
}
