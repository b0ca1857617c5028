// The `darkroom` program: runs one command line and exits with its code. bin/darkroom.js runs it from the
// sources through tsx; `npm run build` bundles it as dist/darkroom.js for plain Node.
import { main } from './cli.js';

// exitCode rather than exit(): pending stdout and stderr writes drain first.
process.exitCode = await main(process.argv.slice(2));
