// The formats Darkroom writes images in. Kept free of imports (no sharp, no node:) so the API contract and the
// studio's user interface use the same lists the writer does.

/** Formats an image can be written in. */
export const OUTPUT_FORMATS = ['jpg', 'png', 'webp', 'tiff', 'avif'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** What a user may ask for: a format, or 'same' to keep each source's format where it can be written (else PNG). */
export const FORMAT_CHOICES = ['same', ...OUTPUT_FORMATS] as const;
export type FormatChoice = (typeof FORMAT_CHOICES)[number];
