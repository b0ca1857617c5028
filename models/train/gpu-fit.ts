// Refuses, before the first step, a training size or batch whose feature maps cannot fit one buffer of the GPU
// adapter (tfjs-webgpu keeps every tensor in one GPU buffer; past the adapter's limit the buffer is not created
// and the step computes garbage). Says which size and batch would fit.
import type { GpuAdapterReport } from '../backend/webgpu.js';
import type { Net } from '../nets/net.js';
import { largestFeatureMap } from '../nets/spec.js';
import { UsageError, option } from '../errors.js';

/**
 * The most images one net pass carries, per image of the batch: CycleGAN's second generator pass runs domain B,
 * domain A (identity) and the A → B translations as one batch. The other families pass one batch at a time,
 * so for them this is a margin.
 */
const IMAGES_PER_PASS = 3;
const FLOAT_BYTES = 4;

/** Bytes of the largest buffer a training step needs: the largest feature map of any net, for a whole pass. */
function largestBufferBytes(nets: Net[], size: number, batch: number): number {
  const perImage = Math.max(...nets.map((net) => largestFeatureMap(net.spec, size)));
  return perImage * batch * IMAGES_PER_PASS * FLOAT_BYTES;
}

export function checkGpuFit(adapter: GpuAdapterReport, nets: Net[], size: number, batch: number): void {
  const limit = Math.min(adapter.maxBufferSize, adapter.maxStorageBufferBindingSize);
  const need = largestBufferBytes(nets, size, batch);
  if (need <= limit) return;
  const mib = (bytes: number) => `${Math.round(bytes / 2 ** 20)} MiB`;
  const fitting: string[] = [];
  const batchThatFits = Math.floor(limit / largestBufferBytes(nets, size, 1));
  if (batchThatFits >= 1) fitting.push(`${option('batch', batchThatFits)} at this size`);
  let sizeThatFits = size - (size % 4);
  while (sizeThatFits >= 4 && largestBufferBytes(nets, sizeThatFits, batch) > limit) sizeThatFits -= 4;
  if (sizeThatFits >= 4) fitting.push(`${option('size', sizeThatFits)} at this batch`);
  throw new UsageError(
    `size ${size} with batch ${batch} needs a ${mib(need)} GPU buffer, but this GPU (${adapter.description || adapter.device}) allows ${mib(limit)} per buffer. ` +
      `${fitting.length > 0 ? `What fits: ${fitting.join(', or ')}` : 'Nothing this large fits'}; or train on ${option('backend', 'wasm')}.`,
  );
}
