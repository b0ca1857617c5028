// What Dawn says of a GPU adapter, as Darkroom reports it. Plain data with no imports, so the studio's contract
// (and so the renderer) can name it without loading Node modules.

export interface GpuAdapterInfo {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** A CPU implementation of the GPU API: usable for correctness, far slower than the CPU paths. */
  software: boolean;
  /** Largest buffer, and largest buffer one shader may bind, in bytes (WebGPU limits). */
  maxBufferSize: number;
  maxStorageBufferBindingSize: number;
  /** Optional WebGPU features, e.g. "shader-f16" (half precision in shaders). */
  features: string[];
}
