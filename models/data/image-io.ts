// All image reading and writing in Darkroom goes through this module: models/data/image-io.ts and the files of
// models/data/image-io/ are the only modules that import sharp. Import from this file, not from those.
//
// Three kinds of use:
//  - training data: readImageForTraining() → small 8-bit sRGB RGB arrays at the training load size;
//  - full-resolution conversion: readPhoto() → oriented sRGB pixels plus everything needed to write the result
//    back faithfully (alpha, ICC profile, EXIF, XMP, bit depth, format), and writePhoto();
//  - small things we make ourselves: encodePng()/writePngAtomic() for sample grids, rasterizeSvg() for the
//    procedural scenes, makeThumbnail() for the UI.
//
// Colour: every pixel array handed to the rest of the project is sRGB. Embedded ICC profiles are applied on
// read (CMYK without a profile goes through libvips' default CMYK profile) and, on write, the result is
// converted back to the original RGB or CMYK profile and that profile is embedded again.
//
// A sharp pitfall handled in read.ts and write.ts: for 16-bit RGB images with an embedded profile sharp
// converts to Display P3, not sRGB (its 16-bit working space), and converts from P3 when applying an output
// profile. We add the P3→sRGB step on read, and on write hand sharp 16-bit data tagged with an sRGB profile
// so that its sRGB→P3→target chain is correct.
//
// The code lives in models/data/image-io/, one concept a file; this file only re-exports its public names:
//  - formats.ts   output formats and pixel ranges, import-free for the API contract, the CLI and the studio;
//  - types.ts     image extensions, the input size limit, Photo/PhotoMeta, …;
//  - errors.ts    ImageReadError and ImageWriteError;
//  - sharp.ts     sharp itself, configured once (its cache off);
//  - regular-file.ts  reading a file's bytes only when it is a regular file (a FIFO or device would hang);
//  - input.ts     reading a file's bytes, probing its header and turning sharp's failures into ImageReadErrors;
//  - read.ts      readImageForTraining, readPhoto, decodeImageFile, readImageInfo, makeThumbnail;
//  - metadata.ts  EXIF orientation, XMP, ICC profiles, and PNG chunks that carry them to writePhoto's encoder;
//  - pixels.ts    float ↔ 8/16-bit pixel conversion;
//  - png.ts       encodePng, writePngAtomic and rasterizeSvg for images we make ourselves;
//  - write.ts     writePhoto, writeImageFileAtomic and the output-path and -format rules.

export {
  IMAGE_EXTENSIONS,
  MAX_INPUT_PIXELS,
  OUTPUT_FORMATS,
  FORMAT_CHOICES,
  isImagePath,
  type OutputFormat,
  type FormatChoice,
  type Photo,
  type PhotoMeta,
  type PixelRange,
  type ReadOptions,
  type RgbImage,
} from './image-io/types.js';
export { ImageReadError, ImageWriteError } from './image-io/errors.js';
export { notAFileReason, readRegularFile } from './image-io/regular-file.js';
export {
  decodeImageFile,
  makeThumbnail,
  readImageForTraining,
  readImageInfo,
  readPhoto,
  type ImageInfo,
  type TrainingReadOptions,
} from './image-io/read.js';
export { getExifOrientation, iccColourSpace, normaliseExif, pngChunk } from './image-io/metadata.js';
export { floatToUint16, floatToUint8, pixelsToFloat } from './image-io/pixels.js';
export { encodePng, rasterizeSvg, writePngAtomic, type EncodePngOptions } from './image-io/png.js';
export {
  assertNotInput,
  extensionFor,
  resolveOutputFormat,
  writeImageFileAtomic,
  writePhoto,
  type WritePhotoOptions,
} from './image-io/write.js';
