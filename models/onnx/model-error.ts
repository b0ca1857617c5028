import { UsageError } from '../errors.js';
import { readModelHeader, type ModelHeader } from './proto.js';

/** A model Darkroom cannot open or will not run; the message names the file and says why. CLI exit code 2. */
export class OnnxModelError extends UsageError {
  override name = 'OnnxModelError';
}

/**
 * A model file's header, read before ONNX Runtime sees the bytes: bytes that are not an ONNX model are refused in
 * plain words here (ONNX Runtime's own messages name its C++ functions). `label` names the file.
 */
export function readModelFileHeader(label: string, bytes: Uint8Array): ModelHeader {
  const again = 'export or copy the model again, or choose another .onnx file';
  if (bytes.length === 0) throw new OnnxModelError(`model ${label} is an empty file (0 bytes), not an ONNX model: ${again}`);
  let header: ModelHeader;
  try {
    header = readModelHeader(bytes);
  } catch (error) {
    throw new OnnxModelError(`model ${label} is not a complete ONNX model file (it is truncated or another kind of file); ${again}`, { cause: error });
  }
  if (!header.hasGraph) throw new OnnxModelError(`model ${label} is not an ONNX model: it holds no network (graph); ${again}`);
  return header;
}
