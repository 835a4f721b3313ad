// zpat_auth.c - the authenticator: a ZAP handler (RFC 27) in a thread of
// its own, bound to inproc://zeromq.zap.01 in zpat's context, that libzmq
// asks about every peer of a CURVE or PLAIN server: an address list, a
// directory of client certificates, a password file.
// SPDX-License-Identifier: MPL-2.0
//
// Written here rather than over czmq's zauth actor: zauth's sockets live
// outside zpat's registry of sockets, so zpat_shutdown (), exit and fork
// () could not treat them as they treat every object (a zauth still
// running at exit makes czmq report dangling sockets, and after fork () its
// actor has no thread); and zcertstore notices a changed directory by its
// modification time in whole seconds, its file count and its total size,
// so a key replaced within a second by one of the same size goes unseen.
// Its ZAP socket here is a core of an internal role, and the thread marks
// it busy while it waits, as a device does.

#include "zpat_internal.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#define AUTH_TAG 0x61757468u
#define AUTH_DEAD 0x64656164u

#define ZAP_ENDPOINT "inproc://zeromq.zap.01"
// A request has 6 frames and the mechanism's credentials (at most 2).
#define ZAP_FRAMES 8
#define PASSWORDS_MAX (1024 * 1024)

// The ZAP socket: a REP, bound.
static const zpat__role_t s_zap_role = {
    .name = "ZAP",
    .zmq_type = ZMQ_REP,
    .size = sizeof (zpat_socket_t),
    .attach = '@',
    .sends = true,
    .receives = true,
};

typedef struct {
    int family; // AF_INET or AF_INET6
    uint8_t bytes[16];
} address_t;

typedef struct {
    address_t *items;
    size_t count, capacity;
} addresses_t;

// A key directory, read again whenever what it holds changes.
typedef struct {
    char *path;
    uint64_t signature; // of the names, sizes and times of its .key files
    bool loaded;
    uint8_t (*keys)[32];
    size_t count;
} keydir_t;

// A password file, read again whenever it changes.
typedef struct {
    char *path;
    struct stat seen;
    bool loaded;
    char *text; // the file, its lines cut into names and passwords
    size_t text_size;
    char **names, **passwords;
    size_t count;
} passwords_t;

struct zpat_auth {
    uint32_t tag;
    pid_t pid; // the process that started it
    zpat_socket_t *zap;
    pthread_t thread;
    int stop[2];          // a pipe: a byte tells the thread to end
    pthread_mutex_t lock; // the configuration below
    addresses_t allowed, denied;
    bool curve_any;
    keydir_t keydir;
    passwords_t passwords;
};

// The one authenticator of this process.
static pthread_mutex_t s_lock = PTHREAD_MUTEX_INITIALIZER;
static zpat_auth_t *s_running;

// ---------------------------------------------------------------------------
// Addresses

// Reads text as an IPv4 or IPv6 address (an IPv4-mapped IPv6 address as
// the IPv4 one). False if it is neither.
static bool
s_address (const char *text, address_t *address)
{
    memset (address, 0, sizeof *address);
    if (inet_pton (AF_INET, text, address->bytes) == 1) {
        address->family = AF_INET;
        return true;
    }
    if (inet_pton (AF_INET6, text, address->bytes) != 1)
        return false;
    address->family = AF_INET6;
    static const uint8_t mapped[12] = {0, 0, 0, 0, 0,    0,
                                       0, 0, 0, 0, 0xff, 0xff};
    if (memcmp (address->bytes, mapped, 12) == 0) {
        memmove (address->bytes, address->bytes + 12, 4);
        memset (address->bytes + 4, 0, 12);
        address->family = AF_INET;
    }
    return true;
}

static bool
s_listed (const addresses_t *list, const address_t *address)
{
    for (size_t i = 0; i < list->count; i++)
        if (list->items[i].family == address->family &&
            memcmp (list->items[i].bytes, address->bytes, 16) == 0)
            return true;
    return false;
}

static int
s_list_add (addresses_t *list, const address_t *address)
{
    if (s_listed (list, address))
        return 0;
    if (list->count == list->capacity) {
        size_t capacity = list->capacity ? list->capacity * 2 : 8;
        address_t *items = realloc (list->items, capacity * sizeof *items);
        if (!items)
            return zpat__fail (ENOMEM);
        list->items = items;
        list->capacity = capacity;
    }
    list->items[list->count++] = *address;
    return 0;
}

// ---------------------------------------------------------------------------
// The key directory

static bool
s_is_key_file (const char *name)
{
    size_t length = strlen (name);
    return name[0] != '.' && length > 4 &&
           strcmp (name + length - 4, ".key") == 0;
}

static uint64_t
s_mix (uint64_t hash, const void *data, size_t size)
{
    const uint8_t *bytes = data;
    for (size_t i = 0; i < size; i++)
        hash = (hash ^ bytes[i]) * 0x100000001b3ull;
    return hash;
}

// What the directory holds now, as one number: the sum of a hash of each
// key file's name, inode, size and times (so the order files are listed
// in does not matter). 0 with errno when the directory cannot be read.
static uint64_t
s_signature (const char *path)
{
    DIR *dir = opendir (path);
    if (!dir)
        return 0;
    uint64_t sum = 1;
    struct dirent *entry;
    // The stream is this call's own, which is all readdir needs to be
    // safe (readdir_r is deprecated).
    // cppcheck-suppress readdirCalled
    while ((entry = readdir (dir))) {
        struct stat st;
        if (!s_is_key_file (entry->d_name) ||
            fstatat (dirfd (dir), entry->d_name, &st, 0) == -1 ||
            !S_ISREG (st.st_mode))
            continue;
        uint64_t hash = 0xcbf29ce484222325ull;
        hash = s_mix (hash, entry->d_name, strlen (entry->d_name));
        hash = s_mix (hash, &st.st_ino, sizeof st.st_ino);
        hash = s_mix (hash, &st.st_size, sizeof st.st_size);
        hash = s_mix (hash, &st.st_mtim, sizeof st.st_mtim);
        hash = s_mix (hash, &st.st_ctim, sizeof st.st_ctim);
        sum += hash;
    }
    closedir (dir);
    return sum ? sum : 1;
}

static void
s_keydir_clear (keydir_t *self)
{
    free (self->keys);
    self->keys = NULL;
    self->count = 0;
    self->loaded = false;
    self->signature = 0;
}

// Reads every certificate file in the directory: 0, or -1 with errno.
static int
s_keydir_load (keydir_t *self)
{
    s_keydir_clear (self);
    uint64_t signature = s_signature (self->path);
    DIR *dir = opendir (self->path);
    if (!signature || !dir) {
        int saved = errno;
        if (dir)
            closedir (dir);
        return zpat__fail (saved);
    }
    size_t capacity = 0;
    int rc = 0;
    struct dirent *entry;
    // As in s_signature: a stream of our own.
    // cppcheck-suppress readdirCalled
    while (rc == 0 && (entry = readdir (dir))) {
        if (!s_is_key_file (entry->d_name))
            continue;
        size_t size = strlen (self->path) + strlen (entry->d_name) + 2;
        char *file = malloc (size);
        if (!file) {
            rc = zpat__fail (ENOMEM);
            break;
        }
        snprintf (file, size, "%s/%s", self->path, entry->d_name);
        zpat_cert_t *cert = zpat__cert_load (file);
        free (file);
        if (!cert)
            continue; // not a certificate: ignored
        if (self->count == capacity) {
            capacity = capacity ? capacity * 2 : 16;
            uint8_t (*keys)[32] = realloc (self->keys, capacity * 32);
            if (!keys)
                rc = zpat__fail (ENOMEM);
            else
                self->keys = keys;
        }
        if (rc == 0)
            memcpy (self->keys[self->count++], zpat__cert_public (cert), 32);
        zpat_cert_destroy (&cert);
    }
    closedir (dir);
    if (rc == -1) {
        s_keydir_clear (self);
        return -1;
    }
    self->signature = signature;
    self->loaded = true;
    return 0;
}

// True when key is in the directory as it is now.
static bool
s_keydir_has (keydir_t *self, const uint8_t *key)
{
    if (!self->path)
        return false;
    uint64_t signature = s_signature (self->path);
    if (!signature) {
        s_keydir_clear (self); // unreadable now: nobody passes
        return false;
    }
    if ((!self->loaded || signature != self->signature) &&
        s_keydir_load (self) == -1)
        return false;
    for (size_t i = 0; i < self->count; i++)
        if (memcmp (self->keys[i], key, 32) == 0)
            return true;
    return false;
}

// ---------------------------------------------------------------------------
// The password file

static void
s_passwords_clear (passwords_t *self)
{
    if (self->text) {
        explicit_bzero (self->text, self->text_size);
        free (self->text);
    }
    free (self->names);
    free (self->passwords);
    self->text = NULL;
    self->names = self->passwords = NULL;
    self->count = self->text_size = 0;
    self->loaded = false;
}

// Reads the file: 0, or -1 with errno (ENOENT, EACCES, EINVAL for a line
// without "=" or a file over 1 MiB, ENOMEM).
static int
s_passwords_load (passwords_t *self)
{
    s_passwords_clear (self);
    // O_NONBLOCK: a FIFO must not block the open (only regular files do).
    int fd = open (self->path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    struct stat st;
    if (fd == -1)
        return -1;
    if (fstat (fd, &st) == -1) {
        int saved = errno;
        close (fd);
        return zpat__fail (saved);
    }
    if (!S_ISREG (st.st_mode) || st.st_size > PASSWORDS_MAX) {
        close (fd);
        return zpat__fail (EINVAL);
    }
    size_t size = (size_t)st.st_size;
    char *text = malloc (size + 1);
    size_t have = 0;
    int code = text ? 0 : ENOMEM;
    while (code == 0 && have < size) {
        ssize_t got = read (fd, text + have, size - have);
        if (got == -1 && errno != EINTR)
            code = errno;
        else if (got == 0)
            break;
        else if (got > 0)
            have += (size_t)got;
    }
    close (fd);
    if (code) {
        if (text) {
            explicit_bzero (text, have);
            free (text);
        }
        return zpat__fail (code);
    }
    text[have] = '\0';
    self->text = text;
    self->text_size = have + 1;
    size_t lines = 1;
    for (size_t i = 0; i < have; i++)
        lines += text[i] == '\n';
    self->names = calloc (lines, sizeof *self->names);
    self->passwords = calloc (lines, sizeof *self->passwords);
    if (!self->names || !self->passwords) {
        s_passwords_clear (self);
        return zpat__fail (ENOMEM);
    }
    for (char *line = text; line;) {
        char *newline = strchr (line, '\n');
        if (newline)
            *newline = '\0';
        size_t length = strlen (line);
        if (length && line[length - 1] == '\r')
            line[--length] = '\0';
        if (length && line[0] != '#') {
            char *equals = strchr (line, '=');
            if (!equals || equals == line) {
                s_passwords_clear (self);
                return zpat__fail (EINVAL);
            }
            *equals = '\0';
            self->names[self->count] = line;
            self->passwords[self->count++] = equals + 1;
        }
        line = newline ? newline + 1 : NULL;
    }
    self->seen = st;
    self->loaded = true;
    return 0;
}

// Compares without stopping at the first difference.
static bool
s_same (const char *a, size_t a_size, const char *b, size_t b_size)
{
    volatile uint8_t diff = a_size != b_size;
    size_t size = a_size < b_size ? a_size : b_size;
    for (size_t i = 0; i < size; i++)
        diff |= (uint8_t)(a[i] ^ b[i]);
    return diff == 0;
}

static bool
s_passwords_check (passwords_t *self, const zmq_msg_t *name,
                   const zmq_msg_t *password)
{
    if (!self->path)
        return false;
    struct stat st;
    if (stat (self->path, &st) == -1) {
        s_passwords_clear (self); // gone: nobody passes
        return false;
    }
    bool changed = st.st_ino != self->seen.st_ino ||
                   st.st_size != self->seen.st_size ||
                   st.st_mtim.tv_sec != self->seen.st_mtim.tv_sec ||
                   st.st_mtim.tv_nsec != self->seen.st_mtim.tv_nsec ||
                   st.st_ctim.tv_sec != self->seen.st_ctim.tv_sec ||
                   st.st_ctim.tv_nsec != self->seen.st_ctim.tv_nsec;
    if ((!self->loaded || changed) && s_passwords_load (self) == -1)
        return false;
    const char *given = zmq_msg_data ((zmq_msg_t *)name);
    size_t given_size = zmq_msg_size ((zmq_msg_t *)name);
    for (size_t i = 0; i < self->count; i++) {
        if (strlen (self->names[i]) != given_size ||
            memcmp (self->names[i], given, given_size) != 0)
            continue;
        return s_same (self->passwords[i], strlen (self->passwords[i]),
                       zmq_msg_data ((zmq_msg_t *)password),
                       zmq_msg_size ((zmq_msg_t *)password));
    }
    return false;
}

// ---------------------------------------------------------------------------
// The handler

static bool
s_frame_is (zmq_msg_t *frame, const char *text)
{
    return zmq_msg_size (frame) == strlen (text) &&
           memcmp (zmq_msg_data (frame), text, strlen (text)) == 0;
}

// Decides on one request (frames[0..count)): writes the user id (for a
// CURVE client, its key's Z85 text) and returns the status text, "OK" for
// success. Called with the configuration locked.
static const char *
s_decide (zpat_auth_t *self, zmq_msg_t *frames, size_t count, char *user,
          size_t user_size)
{
    user[0] = '\0';
    if (count < 6 || !s_frame_is (&frames[0], "1.0"))
        return "Malformed request";
    char text[INET6_ADDRSTRLEN + 1] = "";
    size_t size = zmq_msg_size (&frames[3]);
    if (size < sizeof text)
        memcpy (text, zmq_msg_data (&frames[3]), size);
    address_t address;
    bool known = s_address (text, &address);
    if (self->allowed.count) {
        if (!known || !s_listed (&self->allowed, &address))
            return "Address not allowed";
    } else if (known && s_listed (&self->denied, &address))
        return "Address denied";
    zmq_msg_t *mechanism = &frames[5];
    if (s_frame_is (mechanism, "NULL"))
        return "OK";
    if (s_frame_is (mechanism, "CURVE")) {
        if (count < 7 || zmq_msg_size (&frames[6]) != 32)
            return "Malformed request";
        const uint8_t *key = zmq_msg_data (&frames[6]);
        if (user_size > 40)
            zmq_z85_encode (user, key, 32);
        if (self->curve_any || s_keydir_has (&self->keydir, key))
            return "OK";
        user[0] = '\0';
        return "Unknown key";
    }
    if (s_frame_is (mechanism, "PLAIN")) {
        if (count < 8)
            return "Malformed request";
        if (!s_passwords_check (&self->passwords, &frames[6], &frames[7]))
            return "Invalid name or password";
        size_t name_size = zmq_msg_size (&frames[6]);
        if (name_size < user_size) {
            memcpy (user, zmq_msg_data (&frames[6]), name_size);
            user[name_size] = '\0';
        }
        return "OK";
    }
    return "Unknown mechanism";
}

static int
s_send_frame (void *socket, const void *data, size_t size, bool more)
{
    return zmq_send (socket, data, size, more ? ZMQ_SNDMORE : 0) == -1 ? -1 : 0;
}

// Answers one request. 0, or -1 with errno (ETERM: the context ended).
static int
s_answer (zpat_auth_t *self)
{
    void *socket = self->zap->handle;
    zmq_msg_t frames[ZAP_FRAMES];
    size_t count = 0;
    int more = 1, rc = 0;
    while (more && rc == 0) {
        zmq_msg_t frame;
        zmq_msg_init (&frame);
        if (zmq_msg_recv (&frame, socket, ZMQ_DONTWAIT) == -1) {
            zmq_msg_close (&frame);
            rc = -1;
            break;
        }
        more = zmq_msg_more (&frame);
        if (count < ZAP_FRAMES)
            frames[count++] = frame; // moved: closed below
        else
            zmq_msg_close (&frame);
    }
    if (rc == -1) {
        for (size_t i = 0; i < count; i++)
            zmq_msg_close (&frames[i]);
        return errno == EAGAIN ? 0 : -1; // nothing there after all
    }
    char user[256];
    pthread_mutex_lock (&self->lock);
    const char *status = s_decide (self, frames, count, user, sizeof user);
    pthread_mutex_unlock (&self->lock);
    bool ok = strcmp (status, "OK") == 0;
    // The reply: version, request id, status code and text, user id,
    // metadata (none).
    rc = s_send_frame (socket, "1.0", 3, true);
    if (rc == 0)
        rc = s_send_frame (socket, count > 1 ? zmq_msg_data (&frames[1]) : NULL,
                           count > 1 ? zmq_msg_size (&frames[1]) : 0, true);
    if (rc == 0)
        rc = s_send_frame (socket, ok ? "200" : "400", 3, true);
    if (rc == 0)
        rc = s_send_frame (socket, status, strlen (status), true);
    if (rc == 0)
        rc = s_send_frame (socket, user, strlen (user), true);
    if (rc == 0)
        rc = s_send_frame (socket, NULL, 0, false);
    for (size_t i = 0; i < count; i++)
        zmq_msg_close (&frames[i]);
    return rc;
}

static void *
s_run (void *arg)
{
    zpat_auth_t *self = arg;
    sigset_t all;
    sigfillset (&all);
    pthread_sigmask (SIG_BLOCK, &all, NULL);
    zpat__busy (self->zap);
    while (!zpat__ctx_ended ()) {
        zmq_pollitem_t items[2] = {
            {self->zap->handle, 0, ZMQ_POLLIN, 0},
            {NULL, self->stop[0], ZMQ_POLLIN, 0},
        };
        int rc = zmq_poll (items, 2, -1);
        if (rc == -1 && errno == EINTR)
            continue;
        if (rc == -1 || items[1].revents)
            break;
        if (items[0].revents && s_answer (self) == -1 && errno != EINTR &&
            errno != EAGAIN)
            break;
    }
    zpat__idle (self->zap);
    return NULL;
}

// ---------------------------------------------------------------------------
// The object

static void
s_free (zpat_auth_t *self)
{
    for (int i = 0; i < 2; i++)
        if (self->stop[i] != -1)
            close (self->stop[i]);
    zpat__socket_destroy (self->zap, &s_zap_role);
    free (self->allowed.items);
    free (self->denied.items);
    s_keydir_clear (&self->keydir);
    free (self->keydir.path);
    s_passwords_clear (&self->passwords);
    free (self->passwords.path);
    pthread_mutex_destroy (&self->lock);
    self->tag = AUTH_DEAD;
    free (self);
}

// The lock is held across fork (), so that the child's copy is sane.
static void
s_fork_prepare (void)
{
    pthread_mutex_lock (&s_lock);
}

static void
s_fork_after (void)
{
    pthread_mutex_unlock (&s_lock);
}

static void __attribute__ ((constructor)) s_watch_fork (void)
{
    pthread_atfork (s_fork_prepare, s_fork_after, s_fork_after);
}

static zpat_auth_t *
s_new (void)
{
    pthread_mutex_lock (&s_lock);
    // One inherited across fork () belongs to the parent.
    if (s_running && s_running->pid == getpid ()) {
        pthread_mutex_unlock (&s_lock);
        return zpat__fail_null (EALREADY);
    }
    zpat_auth_t *self = calloc (1, sizeof *self);
    int code = self ? 0 : ENOMEM;
    if (self) {
        self->tag = AUTH_TAG;
        self->pid = getpid ();
        self->stop[0] = self->stop[1] = -1;
        pthread_mutex_init (&self->lock, NULL);
        self->zap = zpat__socket_new (&s_zap_role, "@" ZAP_ENDPOINT, NULL, 0);
        if (!self->zap)
            code = errno;
        else if (pipe (self->stop) == -1)
            code = errno;
        else if (fcntl (self->stop[0], F_SETFD, FD_CLOEXEC) == -1 ||
                 fcntl (self->stop[1], F_SETFD, FD_CLOEXEC) == -1)
            code = errno;
        else
            code = pthread_create (&self->thread, NULL, s_run, self);
        if (code) {
            s_free (self);
            self = NULL;
        }
    }
    if (self)
        s_running = self;
    pthread_mutex_unlock (&s_lock);
    return self ? self : zpat__fail_null (code);
}

zpat_auth_t *
zpat_auth_new (void)
{
    return zpat__api_ptr (s_new (), "zpat_auth_new", NULL, NULL);
}

void
zpat_auth_destroy (zpat_auth_t **self_p)
{
    if (!self_p || !*self_p || (*self_p)->tag != AUTH_TAG)
        return;
    zpat_auth_t *self = *self_p;
    int saved = errno;
    pthread_mutex_lock (&s_lock);
    if (self->pid == getpid ()) {
        // Its thread wakes at the byte (or has ended with the context).
        ssize_t wrote;
        do
            wrote = write (self->stop[1], "", 1);
        while (wrote == -1 && errno == EINTR);
        pthread_join (self->thread, NULL);
    } // else: inherited across fork (): no thread here, only memory
    if (s_running == self)
        s_running = NULL;
    pthread_mutex_unlock (&s_lock);
    s_free (self);
    *self_p = NULL;
    errno = saved;
}

// Locks the configuration of a live authenticator: 0, or -1 with errno.
static int
s_enter (zpat_auth_t *self)
{
    if (!self || self->tag != AUTH_TAG)
        return zpat__fail (EINVAL);
    if (self->pid != getpid ())
        return zpat__fail (ZPAT_EFORKED);
    if (zpat__ctx_ended ())
        return zpat__fail (ZPAT_ETERM);
    pthread_mutex_lock (&self->lock);
    return 0;
}

static int
s_add_address (zpat_auth_t *self, const char *text, bool allow)
{
    address_t address;
    if (!self || self->tag != AUTH_TAG)
        return zpat__fail (EINVAL);
    if (!text || !s_address (text, &address))
        return zpat__fail (EINVAL);
    if (s_enter (self) == -1)
        return -1;
    int rc = s_list_add (allow ? &self->allowed : &self->denied, &address);
    pthread_mutex_unlock (&self->lock);
    return rc;
}

int
zpat_auth_allow (zpat_auth_t *self, const char *address)
{
    return zpat__api_int (s_add_address (self, address, true),
                          "zpat_auth_allow", self, NULL);
}

int
zpat_auth_deny (zpat_auth_t *self, const char *address)
{
    return zpat__api_int (s_add_address (self, address, false),
                          "zpat_auth_deny", self, NULL);
}

// Replaces a configured path (the directory or the file) with a copy of
// path, or with none. 0, or -1 with ENOMEM.
static int
s_copy_path (char **into, const char *path)
{
    char *copy = NULL;
    if (path && !(copy = strdup (path)))
        return zpat__fail (ENOMEM);
    free (*into);
    *into = copy;
    return 0;
}

static int
s_curve_keys (zpat_auth_t *self, const char *directory)
{
    if (s_enter (self) == -1)
        return -1;
    if (!zpat__curve_available ()) {
        pthread_mutex_unlock (&self->lock);
        return zpat__fail (ENOTSUP);
    }
    int rc = 0;
    if (directory) {
        // Checked now, so that a wrong path is an error, not silence.
        DIR *dir = opendir (directory);
        if (!dir)
            rc = -1;
        else
            closedir (dir);
    }
    keydir_t next = {0};
    if (rc == 0 && directory && s_copy_path (&next.path, directory) == 0 &&
        s_keydir_load (&next) == -1) {
        int saved = errno;
        free (next.path);
        rc = zpat__fail (saved);
    } else if (rc == 0 && directory && !next.path)
        rc = -1;
    if (rc == 0) {
        s_keydir_clear (&self->keydir);
        free (self->keydir.path);
        self->keydir = next;
        self->curve_any = false;
    }
    pthread_mutex_unlock (&self->lock);
    return rc;
}

int
zpat_auth_curve_keys (zpat_auth_t *self, const char *directory)
{
    return zpat__api_int (s_curve_keys (self, directory),
                          "zpat_auth_curve_keys", self, NULL);
}

static int
s_curve_any (zpat_auth_t *self)
{
    if (s_enter (self) == -1)
        return -1;
    if (!zpat__curve_available ()) {
        pthread_mutex_unlock (&self->lock);
        return zpat__fail (ENOTSUP);
    }
    self->curve_any = true;
    pthread_mutex_unlock (&self->lock);
    return 0;
}

int
zpat_auth_curve_any (zpat_auth_t *self)
{
    return zpat__api_int (s_curve_any (self), "zpat_auth_curve_any", self,
                          NULL);
}

static int
s_plain (zpat_auth_t *self, const char *path)
{
    if (s_enter (self) == -1)
        return -1;
    passwords_t next = {0};
    int rc = 0;
    if (path) {
        rc = s_copy_path (&next.path, path);
        if (rc == 0 && s_passwords_load (&next) == -1) {
            int saved = errno;
            free (next.path);
            rc = zpat__fail (saved);
        }
    }
    if (rc == 0) {
        s_passwords_clear (&self->passwords);
        free (self->passwords.path);
        self->passwords = next;
    }
    pthread_mutex_unlock (&self->lock);
    return rc;
}

int
zpat_auth_plain (zpat_auth_t *self, const char *path)
{
    return zpat__api_int (s_plain (self, path), "zpat_auth_plain", self, NULL);
}
