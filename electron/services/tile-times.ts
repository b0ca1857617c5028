// The up-front estimate of a photo's conversion: its tile count times how long a tile takes. A tile's time is
// measured, never guessed: on this model's previous photo on the same device (remembered here for the session),
// else on what the translator runs first for instance-normalised models (a statistics pass, or its first tiles).
import type { DeviceChoice } from '../../models/onnx/devices.js';
import type { TranslationPlan } from '../../models/onnx/translate.js';

export interface TileClock {
  /** Seconds all `plan.tiles` should take, or null while nothing has been measured. */
  estimate(plan: TranslationPlan): number | null;
  /** Call after each tile: the photo's tiles, timed from the first event, update what is remembered. */
  tileDone(done: number, total: number): void;
}

export class TileTimes {
  readonly #msPerTile = new Map<string, number>();

  start(modelFile: string, device: DeviceChoice | undefined): TileClock {
    const key = `${modelFile}\0${device ?? 'auto'}`;
    const remembered = this.#msPerTile;
    let since: number | null = null;
    return {
      estimate(plan) {
        // Tiles are timed from the last plan event: after the statistics pass or the first tiles when there is one.
        since = performance.now();
        const msPerTile = remembered.get(key) ?? plan.msPerTile;
        return msPerTile === null ? null : (msPerTile * plan.tiles) / 1000;
      },
      tileDone(done, total) {
        // A photo of one tile says nothing of a tile's time (that tile is the photo's size).
        if (since === null || done < 1 || total < 2) return;
        remembered.set(key, (performance.now() - since) / done);
      },
    };
  }
}
