// Which files are checkpoints to import rather than ONNX models: by name, for file dialogs, the access policy and
// `convert --model`. Imports nothing, so any module may use it.

/** File name endings Darkroom imports as checkpoints (PyTorch's usual ones and safetensors). */
export const CHECKPOINT_EXTENSIONS = ['.pth', '.pt', '.safetensors'];

export function isCheckpointPath(path: string): boolean {
  const lower = path.toLowerCase();
  return CHECKPOINT_EXTENSIONS.some((ext) => lower.endsWith(ext));
}
