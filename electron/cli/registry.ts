// The `darkroom` commands. Adding one is one line here: a module in this folder exporting
// `name`, `summary`, `usage` and `run` (see command.ts). `darkroom --help` loads every module for its summary, so
// each keeps its heavy imports (tfjs, ONNX Runtime, sharp, the studio) inside `run`.
import type { CliCommand } from './command.js';

export const COMMAND_MODULES: (() => Promise<CliCommand>)[] = [
  () => import('./train.js'),
  () => import('./sample.js'),
  () => import('./export.js'),
  () => import('./import.js'),
  () => import('./serve.js'),
  () => import('./convert.js'),
  () => import('./info.js'),
  () => import('./setup.js'),
  () => import('./devices.js'),
];
