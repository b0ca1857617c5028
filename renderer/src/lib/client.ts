// What a view's state needs of the studio: its methods, its events, URLs for its media, the native dialogs
// where Electron has them, and a way to tell the user. AppState implements it over the transport; each state
// class gets this and only the sibling states it uses, so it can be built (and tested) on its own.
import type { DarkroomBridge, MediaRef, MethodName, RequestOf, ResponseOf, StudioEvent } from '../../../electron/api.js';

export type NoticeKind = 'error' | 'info';

/** Native dialogs, drag-out and the file manager: Electron's preload has them, browser mode does not. */
export type NativeDialogs = Omit<DarkroomBridge, 'invoke' | 'onEvent'>;

export interface StudioClient {
  /** Calls the back end; on failure shows the message as an error notice and rethrows. */
  call<M extends MethodName>(method: M, request: RequestOf<M>): Promise<ResponseOf<M>>;
  /** Calls the back end, leaving what to say about a failure to the caller. */
  invoke<M extends MethodName>(method: M, request: RequestOf<M>): Promise<ResponseOf<M>>;
  /** Subscribes to every studio event; returns the unsubscribe function. */
  onEvent(listener: (event: StudioEvent) => void): () => void;
  /** A URL the page can load (img src, download link) for a workspace file. */
  mediaUrl(ref: MediaRef, options?: { download?: string }): string;
  /** Null in browser mode. */
  readonly native: NativeDialogs | null;
  /** Info notices close on their own; errors stay until dismissed. */
  notify(kind: NoticeKind, text: string): void;
}
