// GPU tests on a machine without a GPU: points this process's Dawn (and ONNX Runtime's) at SwiftShader's Vulkan
// driver (models/gpu/swiftshader.ts), or says why they skip. In CI (.ci/run sets DARKROOM_REQUIRE_GPU_TESTS=1)
// they must run, so there a missing driver is an error, not a skip. Call before the first GPU use.
import { swiftShaderEnv } from '../gpu/swiftshader.js';

/** false when GPU tests can run here (this process's environment is then set up), else why they skip. */
export function softwareGpuSkip(): false | string {
  const found = swiftShaderEnv();
  if (found.skip !== null) {
    if (process.env.DARKROOM_REQUIRE_GPU_TESTS === '1') throw new Error(`GPU tests must run here, but: ${found.skip}`);
    return found.skip;
  }
  for (const [name, value] of Object.entries(found.env)) process.env[name] ??= value;
  return false;
}
