// Loaded (--require) into Electron's installer by `npm start` (scripts/start.mjs). The installer reports a failed
// download by printing the error's stack trace; npm start says why in one line of its own message instead. So
// what the installer prints as an error, and an exception it does not catch, go to the pipe on file descriptor 3,
// which npm start reads for the reason; everything else (the progress bar, on a terminal) is left as it is.
'use strict';
const { writeSync } = require('node:fs');
const { format } = require('node:util');

const toStart = (text) => {
  try {
    writeSync(3, `${text}\n`);
  } catch {
    process.stderr.write(`${text.split('\n')[0]}\n`); // started without the pipe: one line, never the stack
  }
};
console.error = (...args) => toStart(format(...args));
process.on('uncaughtException', (error) => {
  toStart(error instanceof Error ? error.stack || error.message : String(error));
  process.exit(1);
});
