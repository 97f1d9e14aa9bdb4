// The haven extension: starts `haven lsp` and lets it answer for every .haven file.
'use strict';
const vscode = require('vscode');
const { LanguageClient } = require('vscode-languageclient/node');

let client;

function activate(context) {
  const command = vscode.workspace.getConfiguration('haven').get('server.path') || 'haven';
  const serverOptions = { command, args: ['lsp'] };
  const clientOptions = { documentSelector: [{ scheme: 'file', language: 'haven' }] };
  client = new LanguageClient('haven', 'haven language server', serverOptions, clientOptions);
  context.subscriptions.push(client);
  return client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
