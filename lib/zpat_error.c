// zpat_error.c - error texts for zpat's own codes and everyone else's, and
// the version and string helpers that have no object of their own.
// SPDX-License-Identifier: MPL-2.0

#include "zpat_internal.h"

// zpat's own codes and their texts, in one table.
#define ZPAT__ERRNO_MAP(X)                                                     \
    X (ZPAT_ESUBLEN, "subscription prefix of 246 to 255 bytes: libzmq 4.3.0 "  \
                     "to 4.3.4 accept it but never deliver to it over tcp:// " \
                     "or ipc://; use a shorter or longer prefix")              \
    X (ZPAT_EFRAMES, "message has a different number of frames than this "     \
                     "call returns; it is kept for the next receive "          \
                     "(zpat_recv_msg returns any shape)")                      \
    X (ZPAT_EFORKED, "object inherited across fork (): it belongs to the "     \
                     "parent process; the child may only destroy it and "      \
                     "make new objects")                                       \
    X (ZPAT_ENOHOST, "host name cannot be resolved, or the bind address is "   \
                     "not an address or network interface of this machine")

const char *
zpat_strerror (int errnum)
{
#define ZPAT__ERRNO_CASE(code, text)                                           \
    case code:                                                                 \
        return text;
    switch (errnum) {
        ZPAT__ERRNO_MAP (ZPAT__ERRNO_CASE)
    case ENOTSUP:
        // What zpat returns it for: CURVE on a libzmq built without it.
        return zmq_has ("curve")
                   ? "Operation not supported"
                   : "Operation not supported (this libzmq was built "
                     "without CURVE: no certificates or encryption)";
    default:
        break;
    }
#undef ZPAT__ERRNO_CASE
    // libzmq covers its own codes and hands the rest to strerror ().
    const char *text = zmq_strerror (errnum);
    return text ? text : "Unknown error";
}

void
zpat_version (int *major, int *minor, int *patch)
{
    if (major)
        *major = ZPAT_VERSION_MAJOR;
    if (minor)
        *minor = ZPAT_VERSION_MINOR;
    if (patch)
        *patch = ZPAT_VERSION_PATCH;
}

void
zpat_str_free (char **string_p)
{
    if (string_p) {
        free (*string_p);
        *string_p = NULL;
    }
}
