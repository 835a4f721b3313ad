// hardening_util.h - helpers for the hardening tests: a raw ZMTP 3.0 peer on
// plain BSD sockets, checksums, clocks and resident-memory readings.
// SPDX-License-Identifier: MPL-2.0

#ifndef ZPAT_HARDENING_UTIL_H
#define ZPAT_HARDENING_UTIL_H

#include <stdbool.h>

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

// ZMTP frame flags (ZMTP 3.0, RFC 23).
#define HU_MORE 0x01
#define HU_LONG 0x02
#define HU_COMMAND 0x04

// The size of a ZMTP 3.0 greeting.
#define HU_GREETING_SIZE 64

// hu_rss_limit_kb returns the resident-memory bound, in KiB, that the flood
// and connect/disconnect tests hold: 5 MB. Under AddressSanitizer (freed
// memory waits in its quarantine) and under valgrind (its own bookkeeping
// grows with every allocation) RSS says nothing about zpat: the bound is
// lifted there (the figure is still printed) and the tools check for leaks
// instead.
long hu_rss_limit_kb (void);

// hu_under_valgrind is true in the 'valgrind' test setup, which sets
// ZPAT_UNDER_VALGRIND. valgrind reserves file descriptors of its own and
// changes the limit, so the descriptor-exhaustion tests skip there.
bool hu_under_valgrind (void);

// hu_time_factor returns how much slower than normal this run may be: the
// ZPAT_TEST_TIME_FACTOR environment variable (the valgrind test setup sets
// it to 10), or 1. Timeouts that a correct run must meet, and upper bounds
// on how long something may take, are multiplied by it.
int hu_time_factor (void);

// hu_fnv1a returns the 32-bit FNV-1a hash of size bytes at data.
uint32_t hu_fnv1a (const void *data, size_t size);

// hu_now_ms returns a monotonic clock in milliseconds, as a double so that
// short waits can be printed with a fraction.
double hu_now_ms (void);

// hu_rss_kb returns the resident set (VmRSS) of process pid in KiB, or of
// this process when pid is 0; -1 when it cannot be read.
long hu_rss_kb (pid_t pid);

// hu_tcp_port returns the port of a "tcp://host:port" endpoint, or -1.
int hu_tcp_port (const char *endpoint);

// hu_raw_connect opens a plain TCP connection to 127.0.0.1:port with send
// and receive timeouts of timeout_ms; returns the descriptor or -1.
int hu_raw_connect (int port, int timeout_ms);

// hu_send_all writes all size bytes; 0 or -1 (a peer that hung up included).
int hu_send_all (int fd, const void *data, size_t size);

// hu_recv_all reads exactly size bytes; 0, or -1 on EOF, error or timeout.
int hu_recv_all (int fd, void *data, size_t size);

// hu_greeting fills out with a ZMTP 3.0 greeting: signature FF 00*8 7F,
// version 3.0, mechanism NULL, as-server 0, filler.
void hu_greeting (unsigned char out[HU_GREETING_SIZE]);

// hu_ready writes a READY command announcing socket_type ("REQ", "PUSH",
// "SUB"...) into out and returns its length (out needs 64 bytes).
size_t hu_ready (unsigned char *out, const char *socket_type);

// hu_frame_header writes the header of a frame of size bytes (short or long
// form as ZMTP requires, with flags) into out (9 bytes) and returns its
// length. A forced long form is used when flags holds HU_LONG.
size_t hu_frame_header (unsigned char *out, uint64_t size, int flags);

// hu_handshake sends a greeting and a READY for socket_type, then reads the
// peer's greeting and READY command. Returns 0 once both sides are ready.
int hu_handshake (int fd, const char *socket_type);

// hu_send_frame sends one data frame (flags HU_MORE or 0).
int hu_send_frame (int fd, const void *data, size_t size, int flags);

// hu_recv_frame reads the next data frame (skipping commands) into buf,
// which holds capacity bytes; stores its size and flags. 0 or -1.
int hu_recv_frame (int fd, void *buf, size_t capacity, size_t *size,
                   int *flags);

// hu_wait_closed reads and discards whatever the peer sends until it closes
// the connection, for at most timeout_ms. Returns the milliseconds it took,
// or -1 when the connection was still open at the end.
double hu_wait_closed (int fd, int timeout_ms);

// hu_thread_blocked waits up to timeout_ms for thread tid of this process to
// be asleep in the kernel (state S in /proc), as a thread blocked in a
// receive is. Returns 1 once it is, 0 if it never was.
int hu_thread_blocked (pid_t tid, int timeout_ms);

// hu_gettid returns the calling thread's kernel id.
pid_t hu_gettid (void);

// ---------------------------------------------------------------------------
// Pipeline messages for the dying-peer tests: a sequence number, an FNV-1a
// checksum, the id of the worker that passed it on (not checksummed), and a
// payload made from the sequence number.

#define HU_JOB_SIZE 2048
#define HU_JOB_WORKER 8 // offset of the worker id byte

// hu_job_make fills out (HU_JOB_SIZE bytes) with job seq.
void hu_job_make (unsigned char *out, uint32_t seq);

// hu_job_check returns 1 when data is a whole, uncorrupted job (storing its
// sequence number and worker id), else 0.
int hu_job_check (const unsigned char *data, size_t size, uint32_t *seq,
                  int *worker);

// What a sink writes per job received: its sequence number, the worker id,
// and whether it was intact.
typedef struct {
    uint32_t seq;
    uint8_t worker;
    uint8_t intact;
    uint16_t pad;
} hu_record_t;

#endif
