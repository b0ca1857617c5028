import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodePath, electronMediaRef, mediaHeaders, mediaRequestAllowed } from './media-policy.js';

test('images are shown inline under a sandbox; anything else, or a named download, is an attachment', () => {
  assert.deepEqual(mediaHeaders('/ws/runs/a/samples/000010.png'), {
    'Content-Type': 'image/png',
    'Content-Security-Policy': "default-src 'none'; sandbox",
    'X-Content-Type-Options': 'nosniff',
    'Cache-Control': 'no-store',
  });
  for (const file of ['/ws/cache/page.html', '/ws/x.svg', '/ws/models/m.onnx', '/ws/runs/a/run.json']) {
    const headers = mediaHeaders(file);
    assert.equal(headers['Content-Type'], 'application/octet-stream', file);
    assert.match(headers['Content-Disposition'], /^attachment; filename\*=UTF-8''/, file);
    assert.equal(headers['X-Content-Type-Options'], 'nosniff');
  }
  assert.equal(mediaHeaders('/ws/cache/convert/1/p.webp', 'night photo.webp')['Content-Disposition'], "attachment; filename*=UTF-8''night%20photo.webp");
});

test("Electron's media URLs name a workspace file only on their own host, and a malformed escape names nothing", () => {
  assert.equal(electronMediaRef(new URL('darkroom-media://workspace/runs/a%20b/x.png')), 'runs/a b/x.png');
  assert.equal(electronMediaRef(new URL('darkroom-media://elsewhere/runs/x.png')), null);
  assert.equal(electronMediaRef(new URL('darkroom-media://workspace/%E0%A4%A')), null);
  assert.equal(decodePath('/a%zz'), null);
});

test("browser media answers only the studio's own page, a typed address, or a client without fetch metadata", () => {
  for (const site of ['same-origin', 'none', undefined]) assert.equal(mediaRequestAllowed(site), true, String(site));
  for (const site of ['same-site', 'cross-site', 'anything-else']) assert.equal(mediaRequestAllowed(site), false, site);
});
