// Which execution provider ran each node, read from an ONNX Runtime profile. ONNX Runtime quietly runs a node that
// a GPU provider has no kernel for on the CPU: this is how Darkroom checks that a graph really runs on the GPU.
import { readFileSync } from 'node:fs';

export interface NodeProvider {
  node: string;
  op: string;
  provider: string;
}

/** Every node of a profile with the provider that ran it (once per node, however many runs it holds). */
export function nodeProviders(profileFile: string): NodeProvider[] {
  const events = JSON.parse(readFileSync(profileFile, 'utf8')) as { cat?: string; name?: string; args?: { op_name?: string; provider?: string } }[];
  const seen = new Map<string, NodeProvider>();
  for (const e of events) {
    if (e.cat !== 'Node' || !e.name?.endsWith('_kernel_time') || !e.args?.op_name) continue;
    const node = e.name.slice(0, -'_kernel_time'.length);
    seen.set(node, { node, op: e.args.op_name, provider: e.args.provider ?? 'unknown' });
  }
  return [...seen.values()];
}

/** The nodes another provider than `provider` ran, apart from the copies between host and device ONNX Runtime adds. */
export function fallbacks(profileFile: string, provider: string): NodeProvider[] {
  return nodeProviders(profileFile).filter((n) => n.provider !== provider && !n.op.startsWith('Memcpy'));
}
