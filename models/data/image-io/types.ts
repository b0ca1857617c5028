// Names and types shared by image-io's readers and writers: which files are images, the input size limit,
// pixel ranges, output formats, and the shape of a photo and its metadata.

import { hasImageExtension } from './formats.js';

export { IMAGE_EXTENSIONS } from './formats.js';

/** True when the path's extension (case-insensitive) is one of IMAGE_EXTENSIONS. Does not touch the file. */
export const isImagePath = (path: string): boolean => hasImageExtension(path);

/** sharp's default limit (0x3FFF × 0x3FFF pixels); larger inputs are refused as likely decompression bombs. */
export const MAX_INPUT_PIXELS = 268_402_689;


export { OUTPUT_FORMATS, FORMAT_CHOICES, PIXEL_RANGES, type OutputFormat, type FormatChoice, type PixelRange } from './formats.js';

export interface ReadOptions {
  /** Refuse images with more pixels than this (default MAX_INPUT_PIXELS). */
  maxPixels?: number;
}

/** Everything about a photo except its RGB pixels; what writePhoto needs to write a faithful result. */
export interface PhotoMeta {
  /** Absolute path the photo was read from (writePhoto refuses to write there), or null. */
  sourcePath: string | null;
  /** Size after EXIF orientation was applied (the size of `pixels`). */
  width: number;
  height: number;
  /**
   * The decoder that read the file: 'jpeg' | 'png' | 'webp' | 'tiff' | 'avif' | 'gif' | … (sharp's names,
   * except that AV1-compressed HEIF is called 'avif').
   */
  format: string;
  /** 8 or 16: the depth of `pixels` and `alpha` (16 for 16-bit, 32-bit and float sources). */
  bitDepth: 8 | 16;
  /** The source's colour interpretation as sharp names it: 'srgb', 'rgb16', 'b-w', 'grey16', 'cmyk', … */
  sourceSpace: string;
  /** Channels in the source file, alpha included (1 grey … 4 RGBA or CMYK). */
  sourceChannels: number;
  /** The source's alpha channel, untouched (same depth as the pixels), or null when it had none. */
  alpha: Uint8Array | Uint16Array | null;
  /**
   * The source's EXIF block as TIFF-structured bytes (starting "II*\0" or "MM\0*", without the JPEG
   * "Exif\0\0" prefix), with its Orientation tag reset to 1 because the pixels are already oriented. Null if none.
   */
  exif: Buffer | null;
  /** The source's embedded ICC profile, or null. */
  icc: Buffer | null;
  /** The source's XMP packet (orientation reset to 1), or null. */
  xmp: string | null;
  /** Pixels per inch, if the file said. */
  density: number | null;
  /** The EXIF orientation (1–8) that was applied to the pixels; 1 when there was none. */
  orientation: number;
}

/** A full-resolution photo: HWC RGB sRGB pixels (8- or 16-bit) and the metadata needed to write it back. */
export interface Photo extends PhotoMeta {
  pixels: Uint8Array | Uint16Array;
}

export interface RgbImage {
  data: Uint8Array;
  width: number;
  height: number;
  channels: 3;
}
