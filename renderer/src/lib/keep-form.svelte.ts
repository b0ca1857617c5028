// A form a reload keeps: its fields are put back from this tab's storage (remember.ts) when the form's state is
// made, and saved again whenever one of them changes. A saved value of another type than the field's (an older
// studio's) is ignored.
import { recall, remember } from './remember.js';

export function keepForm<T extends object, K extends keyof T & string>(key: string, form: T, fields: readonly K[]): void {
  const saved = recall<Record<string, unknown>>(key);
  if (saved) {
    for (const field of fields) {
      if (field in saved && typeof saved[field] === typeof form[field]) form[field] = saved[field] as T[K];
    }
  }
  // The state outlives any one component (views come and go), so the effect has its own root.
  $effect.root(() => {
    $effect(() => remember(key, Object.fromEntries(fields.map((field) => [field, $state.snapshot(form[field])]))));
  });
}
