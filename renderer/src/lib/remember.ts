// What a reload keeps — the current view, the run being watched, the forms' contents — in this tab's
// sessionStorage: per tab like the browser-mode token, gone with the tab. Values are JSON; a value that does not
// parse (an older studio's) reads as nothing.
const PREFIX = 'darkroom.keep.';

export function remember(key: string, value: unknown): void {
  try {
    sessionStorage.setItem(PREFIX + key, JSON.stringify(value));
  } catch {
    // storage full or refused: a reload then starts from the defaults
  }
}

export function recall<T>(key: string): T | null {
  try {
    const raw = sessionStorage.getItem(PREFIX + key);
    return raw === null ? null : (JSON.parse(raw) as T);
  } catch {
    return null;
  }
}
