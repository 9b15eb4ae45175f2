#ifndef C_GREST_ZLIB_H
#define C_GREST_ZLIB_H

#include <zlib.h>

/* deflateInit2 / inflateInit2 are function-like macros, which Swift cannot import. */

static inline int CGrestZlib_deflateInit2(z_streamp strm, int level, int method, int windowBits, int memLevel, int strategy) {
    return deflateInit2(strm, level, method, windowBits, memLevel, strategy);
}

static inline int CGrestZlib_inflateInit2(z_streamp strm, int windowBits) {
    return inflateInit2(strm, windowBits);
}

#endif
