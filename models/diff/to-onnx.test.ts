// The lowering's own choices, seen in the ONNX graph it writes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { onnx } from '../onnx/proto.js';
import { Graph } from './graph.js';
import { toOnnx } from './to-onnx.js';

const convGraph = (batch: number) => {
  const g = new Graph();
  const y = g.conv(g.input('x', [batch, 4, 8, 8]), g.input('w', [6, 4, 3, 3]), { strides: [1, 1], pads: [1, 1, 1, 1] });
  return { g, y };
};
const opsOf = (bytes: Uint8Array) => onnx.ModelProto.decode(bytes).graph!.node!.map((n) => n.opType);

test('a batch that does not divide among the CPU threads is convolved as a multiple of them and the rest', () => {
  const cut = (batch: number, threads: number) => {
    const { g, y } = convGraph(batch);
    return opsOf(toOnnx(g, { y }, 'conv', { threads }).bytes).filter((op) => op === 'Conv').length;
  };
  assert.equal(cut(3, 2), 2, '3 images on 2 threads: 2 + 1');
  assert.equal(cut(5, 4), 2, '5 images on 4 threads: 4 + 1');
  assert.equal(cut(4, 2), 1, 'an even batch stays whole');
  assert.equal(cut(1, 2), 1, 'fewer images than threads: threaded inside');
  assert.equal(cut(3, 1), 1, 'one thread');
});
