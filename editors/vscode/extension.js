// Rewind in VS Code: the `rewind` debug type runs Rewind's debug adapter (`rewind dap`), which
// replays a recording, or records a program first and then replays it.
const vscode = require('vscode');
const { basename } = require('node:path');
const { adapterCommand } = require('./adapter.js');

/** Asks for a recording: a folder (under recordings/) or a .rwd file. */
async function pickRecording() {
  const picked = await vscode.window.showOpenDialog({
    title: 'Open a Rewind recording',
    canSelectFiles: true,
    canSelectFolders: true,
    canSelectMany: false,
    filters: { 'Rewind recordings': ['rwd'] },
    defaultUri: vscode.workspace.workspaceFolders?.[0] && vscode.Uri.joinPath(vscode.workspace.workspaceFolders[0].uri, 'recordings'),
  });
  return picked?.[0]?.fsPath;
}

function activate(context) {
  context.subscriptions.push(
    vscode.debug.registerDebugAdapterDescriptorFactory('rewind', {
      createDebugAdapterDescriptor() {
        const settings = vscode.workspace.getConfiguration('rewind');
        const { command, args } = adapterCommand(settings.get('adapterPath'), settings.get('nodePath'));
        return new vscode.DebugAdapterExecutable(command, args);
      },
    }),
    // F5 without a launch.json: record the current Python file and replay it.
    vscode.debug.registerDebugConfigurationProvider('rewind', {
      resolveDebugConfiguration(folder, config) {
        if (!config.type && !config.request && !config.name) {
          const editor = vscode.window.activeTextEditor;
          if (editor?.document.languageId !== 'python') return undefined;
          return { type: 'rewind', request: 'launch', name: 'Rewind: record and debug current file', program: editor.document.fileName, cwd: folder?.uri.fsPath };
        }
        return config;
      },
    }),
    vscode.commands.registerCommand('rewind.pickRecording', pickRecording),
    vscode.commands.registerCommand('rewind.openRecording', async (uri) => {
      const recording = uri?.fsPath ?? (await pickRecording());
      if (!recording) return;
      await vscode.debug.startDebugging(vscode.workspace.workspaceFolders?.[0], {
        type: 'rewind', request: 'launch', name: `Rewind: ${basename(recording)}`, recording,
      });
    }),
  );
}

function deactivate() {}

module.exports = { activate, deactivate };
