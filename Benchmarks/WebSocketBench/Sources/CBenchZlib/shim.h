// System zlib for ws-load-raw: compresses each payload once at startup (raw deflate, sync flush, the trailing
// 00 00 ff ff removed, as permessage-deflate wants) and inflates the first echo of each connection to check it.
#ifndef CBENCHZLIB_SHIM_H
#define CBENCHZLIB_SHIM_H
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <zlib.h>

/// Raw-deflates `in` as one permessage-deflate message: returns the length written to `out` (without the
/// 00 00 ff ff tail), or -1.
static inline long bench_pmd_compress(const uint8_t *in, size_t inLength, uint8_t *out, size_t outCapacity, int level) {
    z_stream stream;
    memset(&stream, 0, sizeof stream);
    if (deflateInit2(&stream, level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK) return -1;
    stream.next_in = (Bytef *)in;
    stream.avail_in = (uInt)inLength;
    stream.next_out = out;
    stream.avail_out = (uInt)outCapacity;
    int status = deflate(&stream, Z_SYNC_FLUSH);
    long produced = (long)(outCapacity - stream.avail_out);
    deflateEnd(&stream);
    if (status != Z_OK || stream.avail_in != 0 || stream.avail_out == 0 || produced < 4) return -1;
    if (memcmp(out + produced - 4, "\x00\x00\xff\xff", 4) != 0) return -1;
    return produced - 4;
}

/// Inflates one permessage-deflate message (the 00 00 ff ff tail is appended here) with a fresh raw inflater:
/// returns the length written to `out`, or -1.
static inline long bench_pmd_decompress(const uint8_t *in, size_t inLength, uint8_t *out, size_t outCapacity) {
    static const uint8_t tail[4] = {0x00, 0x00, 0xff, 0xff};
    z_stream stream;
    memset(&stream, 0, sizeof stream);
    if (inflateInit2(&stream, -15) != Z_OK) return -1;
    stream.next_out = out;
    stream.avail_out = (uInt)outCapacity;
    stream.next_in = (Bytef *)in;
    stream.avail_in = (uInt)inLength;
    int status = inflate(&stream, Z_SYNC_FLUSH);
    if (status == Z_OK || status == Z_BUF_ERROR) {
        stream.next_in = (Bytef *)tail;
        stream.avail_in = 4;
        status = inflate(&stream, Z_SYNC_FLUSH);
    }
    long produced = (long)(outCapacity - stream.avail_out);
    inflateEnd(&stream);
    if (status != Z_OK && status != Z_STREAM_END && status != Z_BUF_ERROR) return -1;
    return produced;
}
#endif
