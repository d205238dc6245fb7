#ifndef MITHAI_CZLIB_SHIM_H
#define MITHAI_CZLIB_SHIM_H
#include <zlib.h>
// inflateInit2 is a macro; Swift needs a function.
static inline int mithai_inflate_init2(z_streamp s, int windowBits) { return inflateInit2(s, windowBits); }
static inline int mithai_deflate_init2(z_streamp s, int level, int windowBits) {
    return deflateInit2(s, level, Z_DEFLATED, windowBits, 8, Z_DEFAULT_STRATEGY);
}
#endif
