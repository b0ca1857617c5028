// What the studio calls the settings that are not a family's options (those have their labels in
// family-options.ts): the Train form's fields and the Convert view's. The Train form reads its labels here, and the
// studio names these settings by them when a message asks for one (electron/remedy-words.ts). Imports nothing, so
// the renderer's bundle can use it.

export const SETTING_LABELS: Readonly<Record<string, string>> = {
  data: 'Dataset',
  a: 'Domain A',
  b: 'Domain B',
  out: 'Run name',
  iterations: 'Iterations',
  batch: 'Batch',
  seed: 'Seed',
  sampleEvery: 'Sample every',
  checkpointEvery: 'Checkpoint every',
  backend: 'Backend',
  device: 'Device',
  initGenerator: 'Start from a published generator',
  range: 'Value range',
};
