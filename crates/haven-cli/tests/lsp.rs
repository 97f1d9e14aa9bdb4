//! `haven lsp` driven over standard input and output with real JSON-RPC messages
//! (Content-Length framed), one test per capability.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: a panic is a test failure with its message"
)]

use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::Duration;

/// How long to wait for one message before declaring the server stuck (a guard against a
/// hung test, not a speed assertion).
const STUCK: Duration = Duration::from_secs(60);

struct Client {
    child: Child,
    stdin: ChildStdin,
    messages: Receiver<Value>,
    next_id: i64,
    /// The answer to `initialize`.
    init: Value,
}

fn read_message(reader: &mut impl BufRead) -> Option<Value> {
    let mut length = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some(n) = line.strip_prefix("Content-Length: ") {
            length = n.parse::<usize>().ok();
        }
    }
    let mut body = vec![0; length?];
    reader.read_exact(&mut body).ok()?;
    serde_json::from_slice(&body).ok()
}

impl Client {
    fn start() -> Client {
        let mut child = Command::new(env!("CARGO_BIN_EXE_haven"))
            .arg("lsp")
            .env("HAVEN_TODAY", "2025-01-01")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            while let Some(msg) = read_message(&mut reader) {
                if tx.send(msg).is_err() {
                    break;
                }
            }
        });
        let mut client = Client {
            child,
            stdin,
            messages: rx,
            next_id: 1,
            init: Value::Null,
        };
        let init = client.request(
            "initialize",
            json!({ "processId": null, "rootUri": null, "capabilities": {} }),
        );
        client.notify("initialized", json!({}));
        client.init = init;
        client
    }

    fn send(&mut self, msg: &Value) {
        let body = msg.to_string();
        write!(self.stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).unwrap();
        self.stdin.flush().unwrap();
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(&json!({ "jsonrpc": "2.0", "method": method, "params": params }));
    }

    fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(&json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params }));
        loop {
            let msg = self.messages.recv_timeout(STUCK).unwrap();
            if msg["id"] == json!(id) {
                assert!(msg.get("error").is_none(), "{method} failed: {msg}");
                return msg["result"].clone();
            }
        }
    }

    /// The next diagnostics published for `uri`.
    fn diagnostics(&mut self, uri: &str) -> Vec<Value> {
        loop {
            let msg = self.messages.recv_timeout(STUCK).unwrap();
            if msg["method"] == "textDocument/publishDiagnostics" && msg["params"]["uri"] == uri {
                return msg["params"]["diagnostics"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default();
            }
        }
    }

    fn open(&mut self, uri: &str, text: &str) -> Vec<Value> {
        self.notify(
            "textDocument/didOpen",
            json!({ "textDocument": { "uri": uri, "languageId": "haven", "version": 1, "text": text } }),
        );
        self.diagnostics(uri)
    }

    fn at(&mut self, method: &str, uri: &str, (line, character): (usize, usize)) -> Value {
        self.request(
            method,
            json!({ "textDocument": { "uri": uri }, "position": { "line": line, "character": character } }),
        )
    }

    fn finish(mut self) {
        let result = self.request("shutdown", Value::Null);
        assert_eq!(result, Value::Null);
        self.notify("exit", Value::Null);
        let status = self.child.wait().unwrap();
        assert!(status.success(), "haven lsp exited with {status}");
    }
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A document inside `policies/example/` (never written: its text travels in `didOpen`),
/// so modules resolve from the repository's `policies/`.
fn doc_uri() -> String {
    let dir = std::fs::canonicalize(repo().join("policies/example")).unwrap();
    format!("file://{}/lsp_probe.haven", dir.display())
}

const POLICY: &str = r#"policy lsp_test "LSP test" {
  version "1"
  extends baseline
  use std/vocabulary
}

person "Ada Lovelace" holds dsl
  cites "§1": "The DSL is Ada Lovelace."

rule report_nudes {
  cites "§2": "Incidents of sharing nudes must be reported to the DSL."
  when category is sharing_nudes
  must notify dsl due immediately
}

rule report_nudes_adult overrides report_nudes {
  cites "§2": "Where an adult is involved the DSL must refer to the police."
  when category is sharing_nudes and facts.adult_involved
  must refer police due immediately
}
"#;

/// (line, column) of the first occurrence of `needle` at or after line `from`, plus `skip`.
fn pos(text: &str, from: usize, needle: &str, skip: usize) -> (usize, usize) {
    for (i, line) in text.lines().enumerate().skip(from) {
        if let Some(col) = line.find(needle) {
            return (i, col + skip);
        }
    }
    panic!("`{needle}` not found");
}

fn labels(items: &Value) -> Vec<String> {
    items
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["label"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn initialize_announces_every_capability() {
    let client = Client::start();
    assert_eq!(client.init["serverInfo"]["name"], "haven");
    let caps = &client.init["capabilities"];
    for cap in [
        "hoverProvider",
        "definitionProvider",
        "completionProvider",
        "documentSymbolProvider",
        "documentFormattingProvider",
        "codeActionProvider",
    ] {
        assert!(!caps[cap].is_null(), "{cap} missing from {caps}");
    }
    assert_eq!(caps["textDocumentSync"]["change"], 1, "full document sync");
    client.finish();
}

#[test]
fn diagnostics_follow_each_change_as_you_type() {
    let mut client = Client::start();
    let uri = doc_uri();
    assert_eq!(client.open(&uri, POLICY), Vec::<Value>::new());
    let typo = POLICY.replacen(
        "category is sharing_nudes\n",
        "category is sharing_nudez\n",
        1,
    );
    client.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": uri, "version": 2 }, "contentChanges": [ { "text": typo } ] }),
    );
    let diags = client.diagnostics(&uri);
    assert_eq!(diags.len(), 1, "{diags:?}");
    let d = &diags[0];
    assert_eq!(d["code"], "haven::check::unknown_category");
    assert_eq!(d["severity"], 1);
    let (line, col) = pos(&typo, 0, "sharing_nudez", 0);
    assert_eq!(
        d["range"]["start"],
        json!({ "line": line, "character": col })
    );
    assert_eq!(
        d["range"]["end"],
        json!({ "line": line, "character": col + "sharing_nudez".len() })
    );
    assert!(
        d["message"]
            .as_str()
            .unwrap()
            .contains("did you mean `sharing_nudes`?"),
        "{d}"
    );
    client.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": uri, "version": 3 }, "contentChanges": [ { "text": POLICY } ] }),
    );
    assert_eq!(client.diagnostics(&uri), Vec::<Value>::new());
    client.finish();
}

#[test]
fn hover_shows_a_tokens_label_and_a_rules_cited_sentence_and_layer() {
    let mut client = Client::start();
    let uri = doc_uri();
    client.open(&uri, POLICY);
    let token = client.at("textDocument/hover", &uri, pos(POLICY, 10, "dsl", 1));
    let text = token["contents"]["value"].as_str().unwrap();
    assert!(
        text.contains("**role `dsl`** — Designated safeguarding lead"),
        "{text}"
    );
    assert!(text.contains("held by Ada Lovelace"), "{text}");
    let rule = client.at(
        "textDocument/hover",
        &uri,
        pos(POLICY, 15, "overrides report_nudes", 12),
    );
    let text = rule["contents"]["value"].as_str().unwrap();
    assert!(
        text.contains("**rule `report_nudes`** · layer `lsp_test` (school)"),
        "{text}"
    );
    assert!(
        text.contains("Incidents of sharing nudes must be reported to the DSL."),
        "{text}"
    );
    assert!(text.contains("`must notify dsl due immediately`"), "{text}");
    let fact = client.at(
        "textDocument/hover",
        &uri,
        pos(POLICY, 15, "adult_involved", 2),
    );
    let text = fact["contents"]["value"].as_str().unwrap();
    assert!(text.contains("**fact `adult_involved`**: `bool`"), "{text}");
    let nothing = client.at("textDocument/hover", &uri, (0, 0));
    assert!(
        nothing.is_null() || nothing["contents"]["value"] == "",
        "{nothing}"
    );
    client.finish();
}

#[test]
fn go_to_definition_reaches_rules_tokens_people_and_modules() {
    let mut client = Client::start();
    let uri = doc_uri();
    client.open(&uri, POLICY);
    // A rule named in `overrides`.
    let rule = client.at(
        "textDocument/definition",
        &uri,
        pos(POLICY, 15, "overrides report_nudes", 12),
    );
    assert_eq!(rule[0]["uri"], uri);
    assert_eq!(rule[0]["range"]["start"]["line"], 9);
    // A token: declared in std/vocabulary; a role also leads to the people holding it.
    let role = client.at("textDocument/definition", &uri, pos(POLICY, 10, "dsl", 0));
    let uris: Vec<&str> = role
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["uri"].as_str().unwrap())
        .collect();
    assert!(
        uris[0].ends_with("/policies/std/vocabulary.haven"),
        "{role}"
    );
    assert_eq!(role[1]["uri"], uri, "{role}");
    assert_eq!(role[1]["range"]["start"]["line"], 6, "{role}");
    // A person named inside a quoted sentence.
    let person = client.at(
        "textDocument/definition",
        &uri,
        pos(POLICY, 7, "Lovelace", 0),
    );
    assert_eq!(person[0]["range"]["start"]["line"], 6, "{person}");
    // A module.
    let module = client.at(
        "textDocument/definition",
        &uri,
        pos(POLICY, 0, "baseline", 1),
    );
    assert!(
        module[0]["uri"]
            .as_str()
            .unwrap()
            .ends_with("/policies/baseline/policy.haven"),
        "{module}"
    );
    let vocabulary = client.at(
        "textDocument/definition",
        &uri,
        pos(POLICY, 0, "std/vocabulary", 5),
    );
    assert!(
        vocabulary[0]["uri"]
            .as_str()
            .unwrap()
            .ends_with("/policies/std/vocabulary.haven"),
        "{vocabulary}"
    );
    client.finish();
}

#[test]
fn completion_offers_what_the_position_expects() {
    let mut client = Client::start();
    let uri = doc_uri();
    let text = format!(
        "{POLICY}\nrule draft overrides \n  when category is \n  must \n  when facts.\n  when facts.approved_by is \n"
    );
    // Opened while it does not parse: the header still names the modules to complete from.
    client.open(&uri, &text);
    let categories = labels(&client.at(
        "textDocument/completion",
        &uri,
        pos(&text, 20, "category is", 12),
    ));
    assert!(
        categories.contains(&"sharing_nudes".to_owned()),
        "{categories:?}"
    );
    // As you type: the document parsed a moment ago, so its own rules are known too.
    client.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": uri, "version": 2 }, "contentChanges": [ { "text": POLICY } ] }),
    );
    client.diagnostics(&uri);
    client.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": uri, "version": 3 }, "contentChanges": [ { "text": text } ] }),
    );
    client.diagnostics(&uri);
    let last = text.lines().count();
    let line = |n: usize| text.lines().nth(n).unwrap().len();
    let rules = labels(&client.at("textDocument/completion", &uri, (last - 5, line(last - 5))));
    assert!(rules.contains(&"report_nudes".to_owned()), "{rules:?}");
    assert!(
        rules.contains(&"ukcis_immediate_referral".to_owned()),
        "{rules:?}"
    );
    let categories =
        labels(&client.at("textDocument/completion", &uri, (last - 4, line(last - 4))));
    assert!(
        categories.contains(&"sharing_nudes".to_owned()),
        "{categories:?}"
    );
    assert!(!categories.contains(&"notify".to_owned()), "{categories:?}");
    let actions = labels(&client.at("textDocument/completion", &uri, (last - 3, line(last - 3))));
    assert!(actions.contains(&"notify".to_owned()), "{actions:?}");
    assert!(
        !actions.contains(&"sharing_nudes".to_owned()),
        "{actions:?}"
    );
    let facts = client.at("textDocument/completion", &uri, (last - 2, line(last - 2)));
    let items = facts.as_array().unwrap();
    let adult = items
        .iter()
        .find(|i| i["label"] == "adult_involved")
        .unwrap();
    assert_eq!(adult["detail"], "fact: bool");
    let prior = items
        .iter()
        .find(|i| i["label"] == "prior_incidents")
        .unwrap();
    assert!(
        adult["sortText"].as_str() < prior["sortText"].as_str(),
        "yes/no facts sort before numbers"
    );
    let roles = labels(&client.at("textDocument/completion", &uri, (last - 1, line(last - 1))));
    assert!(roles.contains(&"headteacher".to_owned()), "{roles:?}");
    assert!(roles.contains(&"none".to_owned()), "{roles:?}");
    client.finish();
}

#[test]
fn document_symbols_list_rules_and_tables() {
    let mut client = Client::start();
    let path = std::fs::canonicalize(repo().join("policies/basnett_2024/policy.haven")).unwrap();
    let uri = format!("file://{}", path.display());
    let text = std::fs::read_to_string(&path).unwrap();
    client.open(&uri, &text);
    let symbols = client.request(
        "textDocument/documentSymbol",
        json!({ "textDocument": { "uri": uri } }),
    );
    let symbols = symbols.as_array().unwrap();
    let rule = symbols
        .iter()
        .find(|s| s["name"] == "report_online_incident")
        .unwrap();
    assert_eq!(rule["kind"], 12, "a rule is a function symbol");
    let table = symbols.iter().find(|s| s["kind"] == 23).unwrap();
    assert!(
        !table["children"].as_array().unwrap().is_empty(),
        "a table lists its rows"
    );
    assert!(symbols.iter().any(|s| s["name"] == "Lindsay Ingham"));
    client.finish();
}

#[test]
fn formatting_gives_haven_fmt_layout_and_is_then_a_fixed_point() {
    let mut client = Client::start();
    let uri = doc_uri();
    let messy = POLICY.replace(
        "\n  when category is sharing_nudes\n",
        "\nwhen    category is sharing_nudes\n",
    );
    client.open(&uri, &messy);
    let edits = client.request(
        "textDocument/formatting",
        json!({ "textDocument": { "uri": uri }, "options": { "tabSize": 2, "insertSpaces": true } }),
    );
    let edits = edits.as_array().unwrap();
    assert_eq!(edits.len(), 1);
    let formatted = edits[0]["newText"].as_str().unwrap().to_owned();
    assert!(
        formatted.contains("\n  when category is sharing_nudes\n"),
        "{formatted}"
    );
    client.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": uri, "version": 2 }, "contentChanges": [ { "text": formatted } ] }),
    );
    client.diagnostics(&uri);
    let again = client.request(
        "textDocument/formatting",
        json!({ "textDocument": { "uri": uri }, "options": { "tabSize": 2, "insertSpaces": true } }),
    );
    assert_eq!(again, json!([]));
    client.finish();
}

#[test]
fn code_action_applies_the_diagnostics_fix() {
    let mut client = Client::start();
    let uri = doc_uri();
    let cases = [
        (
            "must notify dsl",
            "must notifyy dsl",
            "replace with `notify`",
            "notify",
        ),
        (
            "category is sharing_nudes\n",
            "category is sexting\n",
            "replace with `sharing_nudes`",
            "sharing_nudes",
        ),
        (
            "sharing_nudes and facts",
            "sharing_nudes && facts",
            "replace with `and`",
            "and",
        ),
        (
            "notify dsl due immediately",
            "notify dsl immediately",
            "write `due immediately`",
            "due immediately",
        ),
    ];
    for (version, (from, to, title, new_text)) in cases.into_iter().enumerate() {
        let broken = POLICY.replacen(from, to, 1);
        let diags = if version == 0 {
            client.open(&uri, &broken)
        } else {
            client.notify(
                "textDocument/didChange",
                json!({ "textDocument": { "uri": uri, "version": version + 1 }, "contentChanges": [ { "text": broken } ] }),
            );
            client.diagnostics(&uri)
        };
        assert_eq!(diags.len(), 1, "{to}: {diags:?}");
        let range = diags[0]["range"].clone();
        let actions = client.request(
            "textDocument/codeAction",
            json!({ "textDocument": { "uri": uri }, "range": range, "context": { "diagnostics": diags } }),
        );
        let action = &actions[0];
        assert_eq!(action["kind"], "quickfix", "{to}");
        assert_eq!(action["title"], title, "{to}");
        let edit = &action["edit"]["changes"][&uri][0];
        assert_eq!(edit["newText"], new_text, "{to}");
        assert_eq!(edit["range"], range, "{to}");
    }
    client.finish();
}
