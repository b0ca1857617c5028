// The `darkroom` command: dispatches to the command modules listed in cli/registry.ts.
// Exit codes: 0 done, 1 failed, 2 bad usage or bad input before any work, 3 finished with some items failed,
// 130 interrupted (Ctrl-C; the command saved its work and said how to resume).
import { toErrorBody } from './api.js';
import { cliText } from './remedy-words.js';
import { DARKROOM_VERSION } from './services/version.js';
import type { CliCommand } from './cli/command.js';
import { COMMAND_MODULES } from './cli/registry.js';

async function loadCommands(): Promise<CliCommand[]> {
  return Promise.all(COMMAND_MODULES.map((load) => load()));
}

function overview(commands: CliCommand[]): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    'darkroom — train image-to-image models (AE, VAE, GAN, CycleGAN) and translate photos, offline.',
    '',
    'Usage: darkroom <command> [options]',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Run `darkroom <command> --help` for its options.',
    'Exit codes: 0 done, 1 failed, 2 bad usage or input, 3 finished with some items failed, 130 interrupted.',
  ].join('\n');
}

/** Runs one command line (without the node and script arguments) and returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    const commands = await loadCommands();
    const topic = name === 'help' ? commands.find((c) => c.name === rest[0]) : undefined;
    process.stdout.write((topic ? topic.usage : overview(commands)) + '\n');
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === '-v') {
    process.stdout.write(DARKROOM_VERSION + '\n');
    return 0;
  }
  const commands = await loadCommands();
  const command = commands.find((c) => c.name === name);
  if (!command) {
    process.stderr.write(`darkroom: unknown command "${name}". Commands: ${commands.map((c) => c.name).join(', ')}.\nRun \`darkroom --help\`.\n`);
    return 2;
  }
  try {
    return await command.run(rest);
  } catch (error) {
    // The same classification as every other transport: what the user can fix is bad input (exit 2).
    const { code, message } = toErrorBody(error, cliText);
    const detail = process.env.DARKROOM_DEBUG && error instanceof Error && error.stack ? `\n${error.stack}` : '';
    process.stderr.write(`darkroom ${name}: ${message}${detail}\n`);
    return code === 'bad-request' ? 2 : 1;
  }
}
