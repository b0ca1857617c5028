// The one place that imports and configures sharp; the other files of image-io/ import it from here.

import sharp from 'sharp';

// We never reprocess the same pipeline, and libvips' file cache keeps files open (on Windows that blocks
// renames and deletes), so switch the cache off. Inputs are read into buffers by us anyway.
sharp.cache(false);

export default sharp;
