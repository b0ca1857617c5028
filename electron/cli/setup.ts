// `darkroom setup cuda`: an opt-in download of ONNX Runtime's CUDA 12 provider by onnxruntime-node's own installer,
// with its output shown, then a plain statement of what happened and whether CUDA now runs models.
import { parseArgs, usageError } from './args.js';
import { cliText } from '../remedy-words.js';

export const name = 'setup';
export const summary = 'install optional parts: `setup cuda` fetches ONNX Runtime\'s CUDA 12 provider';
export const usage = `Usage:
  darkroom setup cuda

Runs onnxruntime-node's own installer for ONNX Runtime's CUDA 12 execution provider (Linux x64; it
downloads several hundred MB from api.nuget.org, so it needs the network; behind a proxy set
GLOBAL_AGENT_HTTPS_PROXY=http://proxy:port). CUDA then needs an NVIDIA driver, CUDA 12 and cuDNN 9 on
this machine. Once CUDA works, \`darkroom convert --device auto\` uses it.

Nothing is changed unless the whole installation succeeds: offline or on any failure, onnxruntime-node
stays as it was and Darkroom runs models as before.

Exit codes: 0 installed and CUDA works, 1 not installed or CUDA does not start, 2 bad usage or
not available for this platform.`;

export async function run(argv: string[]): Promise<number> {
  const args = parseArgs(name, argv, {});
  if (args.help) {
    process.stdout.write(usage + '\n');
    return 0;
  }
  const [what, ...rest] = args.positionals;
  if (what !== 'cuda') throw usageError(name, what === undefined ? 'set up what? darkroom setup cuda' : `unknown part "${what}": darkroom setup cuda`);
  if (rest.length > 0) throw usageError(name, `unexpected argument "${rest[0]}"`);

  const { installCudaProvider } = await import('../../models/onnx/cuda-setup.js');
  process.stderr.write("Running onnxruntime-node's installer for the CUDA 12 provider…\n");
  const result = await installCudaProvider();
  if (!result.ok) {
    process.stderr.write(
      `\ndarkroom setup cuda: not installed: ${result.reason}.\n` +
        "Nothing was changed: onnxruntime-node's files are as they were, and Darkroom runs models as before.\n",
    );
    return 1;
  }
  process.stderr.write(`\nInstalled:\n${result.installed.map((f) => `  ${f}`).join('\n')}\n`);
  const { listInferenceDevices } = await import('../../models/onnx/runtime.js');
  const report = await listInferenceDevices();
  const cuda = report.devices.find((d) => d.name === 'cuda') ?? report.elsewhere.find((d) => d.name === 'cuda');
  if (!cuda || !('available' in cuda) || !cuda.available) {
    process.stderr.write(`The CUDA provider is installed, but CUDA does not run here yet: ${cliText(cuda?.reason ?? 'not found')}\n`);
    return 1;
  }
  process.stderr.write('CUDA works: `darkroom convert` now runs models on it (--device auto or cuda).\n');
  return 0;
}
