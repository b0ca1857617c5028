// The image vocabulary the API contract, the CLI and the studio share with image-io: the formats Darkroom writes
// and the pixel ranges models work in. Free of imports (no sharp, no node:), so every one of them can load it.

/** Formats an image can be written in. */
export const OUTPUT_FORMATS = ['jpg', 'png', 'webp', 'tiff', 'avif'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** What a user may ask for: a format, or 'same' to keep each source's format where it can be written (else PNG). */
export const FORMAT_CHOICES = ['same', ...OUTPUT_FORMATS] as const;
export type FormatChoice = (typeof FORMAT_CHOICES)[number];

/** How float pixel values map to intensity: '-1,1' (tanh generators) or '0,1'. Same spelling as the CLI's --range. */
export const PIXEL_RANGES = ['-1,1', '0,1'] as const;
export type PixelRange = (typeof PIXEL_RANGES)[number];
