#ifndef C_GREST_ZLIB_H
#define C_GREST_ZLIB_H

/* zlib never writes through next_in: ZLIB_CONST makes that visible, so Swift can inflate and deflate straight out of
   a shared ByteBuffer without a copy-on-write copy. */
#define ZLIB_CONST
#include <zlib.h>

/* deflateInit2 / inflateInit2 are function-like macros, which Swift cannot import. */

static inline int CGrestZlib_deflateInit2(z_streamp strm, int level, int method, int windowBits, int memLevel, int strategy) {
    return deflateInit2(strm, level, method, windowBits, memLevel, strategy);
}

static inline int CGrestZlib_inflateInit2(z_streamp strm, int windowBits) {
    return inflateInit2(strm, windowBits);
}

#endif
