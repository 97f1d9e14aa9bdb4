//! The haven language server (`haven lsp`): speaks the Language Server Protocol over
//! standard input and output.
//!
//! - diagnostics as you type (every `haven check` error and warning, with its help line),
//! - hover: a vocabulary token's label and parents, a fact's type and question, a rule's
//!   cited sentences, layer and outcomes, a person's roles,
//! - go to definition: rules, tables, criteria, tokens, facts, people (from a role, or a
//!   name inside a quoted sentence) and modules (`use` / `extends`),
//! - completion: vocabulary tokens of the kind the position expects, rule names after
//!   `overrides` / `replaces`, fact names (ordered by type) after `facts.`, a fact's values,
//! - document symbols (rules, tables with their rows, criteria, people, declarations),
//! - formatting (`haven fmt`'s layout) and a quick fix for each diagnostic that has one.
//!
//! Built on `lsp-server` (rust-analyzer's synchronous scaffold): one thread, one document
//! analysed per change, no async runtime. Every change is checked in full: a seed policy with
//! the baseline and vocabulary it loads compiles in 6–8 ms (BENCHMARKS.md), and the index
//! parses those files once more.

#![deny(missing_docs)]

mod analysis;
mod features;
mod lines;

use analysis::Analysis;
use haven_core::CheckOptions;
use lines::LineIndex;
use lsp_server::{Connection, ErrorCode, Message, Notification, Request, Response};
use lsp_types as lsp;
use lsp_types::notification::Notification as _;
use lsp_types::request::Request as _;
use std::collections::HashMap;

/// Any failure of the connection itself (a broken pipe, a malformed message).
pub type ServerError = Box<dyn std::error::Error + Send + Sync>;

/// Run the server on standard input and output until the client says `exit`.
pub fn run_stdio(options: CheckOptions) -> Result<(), ServerError> {
    let (connection, io_threads) = Connection::stdio();
    serve(&connection, options)?;
    drop(connection);
    io_threads.join()?;
    Ok(())
}

/// What the server offers.
pub fn capabilities() -> lsp::ServerCapabilities {
    lsp::ServerCapabilities {
        text_document_sync: Some(lsp::TextDocumentSyncCapability::Options(
            lsp::TextDocumentSyncOptions {
                open_close: Some(true),
                change: Some(lsp::TextDocumentSyncKind::FULL),
                save: Some(lsp::TextDocumentSyncSaveOptions::Supported(true)),
                ..lsp::TextDocumentSyncOptions::default()
            },
        )),
        hover_provider: Some(lsp::HoverProviderCapability::Simple(true)),
        definition_provider: Some(lsp::OneOf::Left(true)),
        completion_provider: Some(lsp::CompletionOptions {
            trigger_characters: Some(vec![".".to_owned(), " ".to_owned()]),
            ..lsp::CompletionOptions::default()
        }),
        document_symbol_provider: Some(lsp::OneOf::Left(true)),
        document_formatting_provider: Some(lsp::OneOf::Left(true)),
        code_action_provider: Some(lsp::CodeActionProviderCapability::Options(
            lsp::CodeActionOptions {
                code_action_kinds: Some(vec![lsp::CodeActionKind::QUICKFIX]),
                ..lsp::CodeActionOptions::default()
            },
        )),
        ..lsp::ServerCapabilities::default()
    }
}

struct Document {
    text: String,
    analysis: Analysis,
}

struct Server<'c> {
    connection: &'c Connection,
    options: CheckOptions,
    documents: HashMap<lsp::Url, Document>,
}

/// Serve one client on `connection`: the handshake, then requests and notifications until
/// `shutdown` and `exit`.
pub fn serve(connection: &Connection, options: CheckOptions) -> Result<(), ServerError> {
    let (id, _params) = connection.initialize_start()?;
    connection.initialize_finish(
        id,
        serde_json::json!({
            "capabilities": capabilities(),
            "serverInfo": { "name": "haven", "version": env!("CARGO_PKG_VERSION") },
        }),
    )?;
    let mut server = Server {
        connection,
        options,
        documents: HashMap::new(),
    };
    for msg in &connection.receiver {
        match msg {
            Message::Request(req) => {
                if connection.handle_shutdown(&req)? {
                    return Ok(());
                }
                let response = server.request(req);
                connection.sender.send(Message::Response(response))?;
            }
            Message::Notification(note) => {
                let method = note.method.clone();
                if let Err(e) = server.notification(note) {
                    // A malformed notification is the client's bug; keep serving.
                    eprintln!("haven lsp: ignored `{method}`: {e}");
                }
            }
            Message::Response(_) => {}
        }
    }
    Ok(())
}

fn params<P: serde::de::DeserializeOwned>(value: serde_json::Value) -> Result<P, Response> {
    serde_json::from_value(value).map_err(|e| {
        Response::new_err(
            lsp_server::RequestId::from(0),
            ErrorCode::InvalidParams as i32,
            e.to_string(),
        )
    })
}

impl Server<'_> {
    fn request(&mut self, req: Request) -> Response {
        let id = req.id.clone();
        let result = self.answer(req);
        match result {
            Ok(value) => Response::new_ok(id, value),
            Err(mut err) => {
                err.id = id;
                err
            }
        }
    }

    fn answer(&mut self, req: Request) -> Result<serde_json::Value, Response> {
        let json = |v: serde_json::Result<serde_json::Value>| {
            v.map_err(|e| {
                Response::new_err(
                    lsp_server::RequestId::from(0),
                    ErrorCode::InternalError as i32,
                    e.to_string(),
                )
            })
        };
        match req.method.as_str() {
            lsp::request::HoverRequest::METHOD => {
                let p: lsp::HoverParams = params(req.params)?;
                let pos = &p.text_document_position_params;
                let answer = self.at(&pos.text_document.uri, pos.position, features::hover);
                json(serde_json::to_value(answer.flatten()))
            }
            lsp::request::GotoDefinition::METHOD => {
                let p: lsp::GotoDefinitionParams = params(req.params)?;
                let pos = &p.text_document_position_params;
                let found = self
                    .at(&pos.text_document.uri, pos.position, features::definition)
                    .unwrap_or_default();
                let answer =
                    (!found.is_empty()).then_some(lsp::GotoDefinitionResponse::Array(found));
                json(serde_json::to_value(answer))
            }
            lsp::request::Completion::METHOD => {
                let p: lsp::CompletionParams = params(req.params)?;
                let pos = &p.text_document_position;
                let items = self
                    .at(&pos.text_document.uri, pos.position, features::completion)
                    .unwrap_or_default();
                json(serde_json::to_value(lsp::CompletionResponse::Array(items)))
            }
            lsp::request::DocumentSymbolRequest::METHOD => {
                let p: lsp::DocumentSymbolParams = params(req.params)?;
                let symbols = self
                    .documents
                    .get(&p.text_document.uri)
                    .map(|d| features::document_symbols(&d.analysis))
                    .unwrap_or_default();
                json(serde_json::to_value(lsp::DocumentSymbolResponse::Nested(
                    symbols,
                )))
            }
            lsp::request::Formatting::METHOD => {
                let p: lsp::DocumentFormattingParams = params(req.params)?;
                let edits = self
                    .documents
                    .get(&p.text_document.uri)
                    .map(|d| features::format(&d.text))
                    .unwrap_or_default();
                json(serde_json::to_value(edits))
            }
            lsp::request::CodeActionRequest::METHOD => {
                let p: lsp::CodeActionParams = params(req.params)?;
                let actions = self
                    .documents
                    .get(&p.text_document.uri)
                    .map(|d| features::code_actions(&d.analysis, &p.text_document.uri, p.range))
                    .unwrap_or_default();
                json(serde_json::to_value(actions))
            }
            _ => Err(Response::new_err(
                lsp_server::RequestId::from(0),
                ErrorCode::MethodNotFound as i32,
                format!("haven lsp does not answer `{}`", req.method),
            )),
        }
    }

    /// Run `f` on the document's analysis at a position.
    fn at<T>(
        &self,
        uri: &lsp::Url,
        pos: lsp::Position,
        f: impl Fn(&Analysis, usize) -> T,
    ) -> Option<T> {
        let doc = self.documents.get(uri)?;
        let offset = LineIndex::new(&doc.text).offset(pos);
        Some(f(&doc.analysis, offset))
    }

    fn notification(&mut self, note: Notification) -> Result<(), ServerError> {
        match note.method.as_str() {
            lsp::notification::DidOpenTextDocument::METHOD => {
                let p: lsp::DidOpenTextDocumentParams = serde_json::from_value(note.params)?;
                self.update(p.text_document.uri, p.text_document.text)?;
            }
            lsp::notification::DidChangeTextDocument::METHOD => {
                let p: lsp::DidChangeTextDocumentParams = serde_json::from_value(note.params)?;
                // Full sync: the last change holds the whole text.
                if let Some(change) = p.content_changes.into_iter().last() {
                    self.update(p.text_document.uri, change.text)?;
                }
            }
            lsp::notification::DidSaveTextDocument::METHOD => {
                // Modules the document loads may have changed on disk.
                let p: lsp::DidSaveTextDocumentParams = serde_json::from_value(note.params)?;
                let uris: Vec<lsp::Url> = self.documents.keys().cloned().collect();
                for uri in uris {
                    let text = match (&p.text, uri == p.text_document.uri) {
                        (Some(text), true) => text.clone(),
                        _ => match self.documents.get(&uri) {
                            Some(doc) => doc.text.clone(),
                            None => continue,
                        },
                    };
                    self.update(uri, text)?;
                }
            }
            lsp::notification::DidCloseTextDocument::METHOD => {
                let p: lsp::DidCloseTextDocumentParams = serde_json::from_value(note.params)?;
                self.documents.remove(&p.text_document.uri);
                self.publish(p.text_document.uri, Vec::new())?;
            }
            _ => {}
        }
        Ok(())
    }

    fn update(&mut self, uri: lsp::Url, text: String) -> Result<(), ServerError> {
        let previous = self.documents.remove(&uri).map(|d| d.analysis);
        let analysis = Analysis::new(&uri, &text, &self.options, previous);
        let diagnostics = features::diagnostics(&analysis);
        self.documents
            .insert(uri.clone(), Document { text, analysis });
        self.publish(uri, diagnostics)
    }

    fn publish(&self, uri: lsp::Url, diagnostics: Vec<lsp::Diagnostic>) -> Result<(), ServerError> {
        let params = lsp::PublishDiagnosticsParams {
            uri,
            diagnostics,
            version: None,
        };
        self.connection
            .sender
            .send(Message::Notification(Notification::new(
                lsp::notification::PublishDiagnostics::METHOD.to_owned(),
                params,
            )))?;
        Ok(())
    }
}
