// fuzz_common.h - what the fuzz targets share: turning a fuzz input into the
// frames of one message, the sockets that carry it, and the checks.
// SPDX-License-Identifier: MPL-2.0
//
// Every target sends the frames decoded from its input through a real zpat
// socket over inproc:// and receives them with the zpat call it fuzzes, so
// the bytes reach that call the way a peer's bytes would. The same code
// runs under libFuzzer (-Dfuzz=true, clang) and, through replay.c, as a
// plain program that feeds the committed corpus in the normal test suite.

#ifndef ZPAT_FUZZ_COMMON_H
#define ZPAT_FUZZ_COMMON_H

#include <zpat.h>

#include <stddef.h>
#include <stdint.h>

// The most frames one input decodes to.
#define FZ_MAX_FRAMES 64

// One decoded message; the frames point into the fuzz input.
typedef struct {
    zpat_frame_t frames[FZ_MAX_FRAMES];
    size_t count;
} fz_message_t;

// fz_split decodes data into msg. The first byte gives the frame count
// (1 + byte % FZ_MAX_FRAMES); each frame is then a length byte, or 255 and
// a two-byte little-endian length, followed by that many bytes. A frame
// that runs past the end of the input is cut short; frames past the end are
// empty. Any input, the empty one included, decodes to at least one frame.
void fz_split (const uint8_t *data, size_t size, fz_message_t *msg);

// fz_fail reports a broken invariant and aborts, which libFuzzer records as
// a crash with its input and the replay test as a failure.
_Noreturn void fz_fail (const char *file, int line, const char *what);

#define FZ_CHECK(cond)                                                         \
    do {                                                                       \
        if (!(cond))                                                           \
            fz_fail (__FILE__, __LINE__, #cond);                               \
    } while (0)

// The receive timeout of every fuzz socket: a message sent over inproc:// is
// there at once, so running out means a lost message, not a slow machine.
#define FZ_RECV_TIMEOUT_MS 10000

// fz_pipeline returns a PUSH connected to a PULL over inproc://, made on the
// first call and kept for the life of the process.
void fz_pipeline (zpat_push_t **push_p, zpat_pull_t **pull_p);

// fz_pubsub returns a PUB and a SUB subscribed to everything, connected
// over inproc:// with the subscription in place, made once as above.
void fz_pubsub (zpat_pub_t **pub_p, zpat_sub_t **sub_p);

// fz_msg returns the message a target receives whole messages into: one
// for the whole run, as an application would keep one, so that its frame
// slots grow and are reused from input to input. Made on the first call;
// fz_teardown destroys it.
zpat_msg_t *fz_msg (void);

// fz_init_pipeline and fz_init_pubsub make the sockets of fz_pipeline or of
// fz_pubsub, and the message of fz_msg, before the first input: what a
// target's LLVMFuzzerInitialize does. They return 0, as it does.
int fz_init_pipeline (void);
int fz_init_pubsub (void);

// fz_teardown destroys the sockets and the message and ends the context, so
// that a replay run under valgrind or LeakSanitizer leaves nothing behind.
void fz_teardown (void);

// fz_expect_frames checks that msg holds exactly the frames in expected:
// count, sizes, bytes, and zpat_msg_strdup of each frame.
void fz_expect_frames (const zpat_msg_t *msg, const fz_message_t *expected);

// fz_expect_nothing checks that nothing more waits on the receiver: each
// input is one message, and each target receives it whole.
void fz_expect_nothing (zpat_socket_t *receiver);

// The libFuzzer entry points, which replay.c calls too.
int LLVMFuzzerInitialize (int *argc, char ***argv);
int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

#endif
