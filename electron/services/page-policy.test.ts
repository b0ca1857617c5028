// Electron and browser mode serve the page with one CSP and one table of content types.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pageContentType, pageCsp } from './page-policy.js';

test('the page CSP allows only its own code, plus the images and connections a transport names', () => {
  const electron = pageCsp({ images: ['darkroom-media:'] });
  const browser = pageCsp({ connect: ['ws://127.0.0.1:5000'] });
  assert.match(electron, /img-src 'self' darkroom-media: data: blob:/);
  assert.match(electron, /connect-src 'self';/);
  assert.match(browser, /img-src 'self' data: blob:/);
  assert.match(browser, /connect-src 'self' ws:\/\/127\.0\.0\.1:5000;/);
  // Everything but those two sources is the same policy.
  const rest = (csp: string) => csp.split('; ').filter((d) => !/^(img|connect)-src/.test(d));
  assert.deepEqual(rest(electron), rest(browser));
  assert.match(electron, /script-src 'self';.*object-src 'none'.*frame-ancestors 'none'/);
});

test('content types: the page files by extension, anything unknown as a download', () => {
  assert.equal(pageContentType('/r/index.HTML'), 'text/html; charset=utf-8');
  assert.equal(pageContentType('/r/a.jpeg'), 'image/jpeg');
  assert.equal(pageContentType('/r/x.mjs'), 'text/javascript; charset=utf-8');
  assert.equal(pageContentType('/r/secret'), 'application/octet-stream');
});
