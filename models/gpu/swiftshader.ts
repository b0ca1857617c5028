// For tests of GPU code on machines without a GPU: the environment that points Vulkan (and so Dawn, ours and
// ONNX Runtime's) at the SwiftShader driver Debian's chromium package ships, or why that cannot work here.
// CI installs chromium and libvulkan1, so there the GPU tests run; elsewhere they skip with the reason.
import { existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

/** Where distributions put the Vulkan loader (libvulkan1 on Debian). */
const VULKAN_LOADERS = [
  '/usr/lib/x86_64-linux-gnu/libvulkan.so.1',
  '/usr/lib/aarch64-linux-gnu/libvulkan.so.1',
  '/usr/lib64/libvulkan.so.1',
  '/usr/lib/libvulkan.so.1',
];

/**
 * Environment variables that make Vulkan see only SwiftShader, or the reason a software GPU is not available here
 * (pass it to the test runner's `skip`).
 */
export function swiftShaderEnv(): { env: Record<string, string>; skip: null } | { env: null; skip: string } {
  if (process.platform !== 'linux') return { env: null, skip: `SwiftShader through Vulkan is set up for Linux only (this is ${process.platform})` };
  if (!VULKAN_LOADERS.some((p) => existsSync(p))) return { env: null, skip: 'no Vulkan loader (libvulkan.so.1): apt-get install libvulkan1' };
  if (!existsSync(SWIFTSHADER_ICD)) return { env: null, skip: `no SwiftShader Vulkan driver (${SWIFTSHADER_ICD}): apt-get install chromium` };
  // A writable runtime folder keeps the loader from warning about a missing XDG_RUNTIME_DIR.
  const runtimeDir = join(tmpdir(), `darkroom-xdg-${process.getuid?.() ?? 'user'}`);
  mkdirSync(runtimeDir, { recursive: true, mode: 0o700 });
  return { env: { VK_ICD_FILENAMES: SWIFTSHADER_ICD, XDG_RUNTIME_DIR: runtimeDir }, skip: null };
}
