// A packaged .vsix (a zip) holds what the extension needs at run time, and no test code.
import yauzl from 'yauzl';

const file = process.argv[2];
const entries = await new Promise((resolve, reject) => {
  yauzl.open(file, { lazyEntries: true }, (err, zip) => {
    if (err) return reject(err);
    const names = [];
    zip.on('entry', (e) => { names.push(e.fileName); zip.readEntry(); });
    zip.on('end', () => resolve(names));
    zip.on('error', reject);
    zip.readEntry();
  });
});
const required = [
  'extension/package.json',
  'extension/extension.js',
  'extension/language-configuration.json',
  'extension/syntaxes/haven.tmLanguage.json',
  'extension/LICENSE.txt',
  'extension/node_modules/vscode-languageclient/package.json',
];
const missing = required.filter((r) => !entries.includes(r));
const unwanted = entries.filter((e) => e.startsWith('extension/test/') || e.includes('/@vscode/vsce/'));
if (missing.length || unwanted.length) {
  console.error(`${file}: missing ${JSON.stringify(missing)}, unwanted ${JSON.stringify(unwanted)}`);
  process.exit(1);
}
console.log(`${file}: ${entries.length} files, including ${required.length} required ones`);
