// zpat_cert.c - CURVE certificates: key pairs, and the certificate files
// czmq's zcert and pyzmq's zmq.auth read and write (a small ZPL text: a
// "metadata" section of name = value lines and a "curve" section with the
// Z85 keys). Written here rather than over zcert: zcert_save overwrites
// silently and makes the secret file private by changing the process's
// umask (racy with other threads), zcert_load cannot tell a missing file
// from a malformed one, and zcert_destroy leaves the secret key in freed
// memory.
// SPDX-License-Identifier: MPL-2.0

#include "zpat_internal.h"

#include <ctype.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#define CERT_TAG 0x63657274u
#define CERT_DEAD 0x64656164u

// The largest certificate file read: real ones are a few hundred bytes.
#define CERT_FILE_MAX (64 * 1024)
#define META_NAME_MAX 64

typedef struct meta {
    char *name;
    char *value;
    struct meta *next;
} meta_t;

struct zpat_cert {
    uint32_t tag;
    bool has_secret;
    uint8_t public_key[32];
    uint8_t secret_key[32];
    char public_txt[41];
    meta_t *meta; // in the order set
};

bool
zpat__curve_available (void)
{
    return zmq_has ("curve") != 0;
}

int
zpat__z85_key (const char *text, uint8_t key[32])
{
    if (!text || strlen (text) != 40 || !zmq_z85_decode (key, text))
        return zpat__fail (EINVAL);
    return 0;
}

static int
s_valid (const zpat_cert_t *self)
{
    return self && self->tag == CERT_TAG ? 0 : zpat__fail (EINVAL);
}

const uint8_t *
zpat__cert_public (const zpat_cert_t *self)
{
    return s_valid (self) == 0 ? self->public_key : NULL;
}

const uint8_t *
zpat__cert_secret (const zpat_cert_t *self)
{
    if (s_valid (self) == -1)
        return NULL;
    return self->has_secret ? self->secret_key : zpat__fail_null (EINVAL);
}

static zpat_cert_t *
s_new (void)
{
    if (!zpat__curve_available ())
        return zpat__fail_null (ENOTSUP);
    zpat_cert_t *self = calloc (1, sizeof *self);
    if (!self)
        return zpat__fail_null (ENOMEM);
    self->tag = CERT_TAG;
    return self;
}

// Fills public_txt from public_key.
static void
s_set_public_txt (zpat_cert_t *self)
{
    zmq_z85_encode (self->public_txt, self->public_key, 32);
}

static zpat_cert_t *
s_new_keypair (void)
{
    zpat_cert_t *self = s_new ();
    if (!self)
        return NULL;
    char public_txt[41], secret_txt[41];
    if (zmq_curve_keypair (public_txt, secret_txt) == -1) {
        int saved = errno;
        zpat_cert_destroy (&self);
        return zpat__fail_null (saved);
    }
    zmq_z85_decode (self->public_key, public_txt);
    zmq_z85_decode (self->secret_key, secret_txt);
    explicit_bzero (secret_txt, sizeof secret_txt);
    self->has_secret = true;
    s_set_public_txt (self);
    return self;
}

zpat_cert_t *
zpat_cert_new (void)
{
    return zpat__api_ptr (s_new_keypair (), "zpat_cert_new", NULL, NULL);
}

// Sets self's keys from Z85 text, checking that the secret key (if any)
// gives the public key. 0, or -1 with EINVAL.
static int
s_set_keys (zpat_cert_t *self, const char *public_txt, const char *secret_txt)
{
    if (zpat__z85_key (public_txt, self->public_key) == -1)
        return -1;
    s_set_public_txt (self);
    if (!secret_txt)
        return 0;
    char derived[41];
    int rc = zpat__z85_key (secret_txt, self->secret_key);
    if (rc == 0 && (zmq_curve_public (derived, secret_txt) == -1 ||
                    strcmp (derived, self->public_txt) != 0))
        rc = zpat__fail (EINVAL);
    if (rc == -1)
        explicit_bzero (self->secret_key, sizeof self->secret_key);
    else
        self->has_secret = true;
    return rc;
}

static zpat_cert_t *
s_new_txt (const char *public_txt, const char *secret_txt)
{
    if (!public_txt)
        return zpat__fail_null (EINVAL);
    zpat_cert_t *self = s_new ();
    if (self && s_set_keys (self, public_txt, secret_txt) == -1)
        zpat_cert_destroy (&self); // keeps errno
    return self;
}

zpat_cert_t *
zpat_cert_new_txt (const char *public_txt, const char *secret_txt)
{
    return zpat__api_ptr (s_new_txt (public_txt, secret_txt),
                          "zpat_cert_new_txt", NULL, NULL);
}

static void
s_meta_free (meta_t *item)
{
    free (item->name);
    free (item->value);
    free (item);
}

void
zpat_cert_destroy (zpat_cert_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    zpat_cert_t *self = *self_p;
    if (self->tag != CERT_TAG)
        return; // not a certificate: leave it alone
    int saved = errno;
    while (self->meta) {
        meta_t *next = self->meta->next;
        s_meta_free (self->meta);
        self->meta = next;
    }
    explicit_bzero (self, sizeof *self);
    self->tag = CERT_DEAD;
    free (self);
    *self_p = NULL;
    errno = saved;
}

const char *
zpat_cert_public_txt (const zpat_cert_t *self)
{
    const char *text = s_valid (self) == 0 ? self->public_txt : NULL;
    return zpat__api_ptr ((void *)text, "zpat_cert_public_txt", self, NULL);
}

int
zpat_cert_has_secret (const zpat_cert_t *self)
{
    return zpat__api_int (s_valid (self) == 0 ? self->has_secret : -1,
                          "zpat_cert_has_secret", self, NULL);
}

// ZPL names: letters, digits and $-_@.&+/ (as czmq's zconfig takes them).
static bool
s_meta_name_ok (const char *name)
{
    size_t length = strlen (name);
    if (length == 0 || length > META_NAME_MAX)
        return false;
    for (const char *c = name; *c; c++)
        if (!isalnum ((unsigned char)*c) && !strchr ("$-_@.&+/", *c))
            return false;
    return true;
}

static bool
s_meta_value_ok (const char *value)
{
    return !strpbrk (value, "\"\r\n");
}

static meta_t **
s_meta_find (const zpat_cert_t *self, const char *name)
{
    meta_t **at = (meta_t **)&self->meta;
    while (*at && strcmp ((*at)->name, name) != 0)
        at = &(*at)->next;
    return at;
}

static int
s_set_meta (zpat_cert_t *self, const char *name, const char *value)
{
    if (s_valid (self) == -1)
        return -1;
    if (!name || !s_meta_name_ok (name) || (value && !s_meta_value_ok (value)))
        return zpat__fail (EINVAL);
    meta_t **at = s_meta_find (self, name);
    if (!value) {
        if (*at) {
            meta_t *gone = *at;
            *at = gone->next;
            s_meta_free (gone);
        }
        return 0;
    }
    char *copy = strdup (value);
    if (!copy)
        return zpat__fail (ENOMEM);
    if (*at) {
        free ((*at)->value);
        (*at)->value = copy;
        return 0;
    }
    meta_t *item = calloc (1, sizeof *item);
    if (item)
        item->name = strdup (name);
    if (!item || !item->name) {
        free (item);
        free (copy);
        return zpat__fail (ENOMEM);
    }
    item->value = copy;
    *at = item;
    return 0;
}

int
zpat_cert_set_meta (zpat_cert_t *self, const char *name, const char *value)
{
    return zpat__api_int (s_set_meta (self, name, value), "zpat_cert_set_meta",
                          self, NULL);
}

static const char *
s_meta (const zpat_cert_t *self, const char *name)
{
    if (s_valid (self) == -1)
        return NULL;
    if (!name)
        return zpat__fail_null (EINVAL);
    meta_t *item = *s_meta_find (self, name);
    return item ? item->value : zpat__fail_null (ENOENT);
}

const char *
zpat_cert_meta (const zpat_cert_t *self, const char *name)
{
    return zpat__api_ptr ((void *)s_meta (self, name), "zpat_cert_meta", self,
                          NULL);
}

// ---------------------------------------------------------------------------
// Reading files

// Reads the whole file at path into a NUL-terminated buffer (freed, and
// wiped, by the caller). NULL with errno.
static char *
s_slurp (const char *path, size_t *length)
{
    // O_NONBLOCK: a FIFO at path must not block the open; only regular
    // files are read.
    int fd = open (path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd == -1)
        return NULL;
    struct stat st;
    int code = fstat (fd, &st) == -1  ? errno
               : S_ISREG (st.st_mode) ? 0
                                      : EINVAL;
    char *text = code ? NULL : malloc (CERT_FILE_MAX + 1);
    size_t have = 0;
    if (!code && !text)
        code = ENOMEM;
    while (code == 0) {
        ssize_t got = read (fd, text + have, CERT_FILE_MAX + 1 - have);
        if (got == -1 && errno == EINTR)
            continue;
        if (got == -1)
            code = errno == EISDIR ? EINVAL : errno;
        else if (got == 0)
            break;
        else if ((have += (size_t)got) > CERT_FILE_MAX)
            code = EINVAL;
    }
    close (fd);
    if (code) {
        if (text) {
            explicit_bzero (text, have < CERT_FILE_MAX ? have : CERT_FILE_MAX);
            free (text);
        }
        return zpat__fail_null (code);
    }
    text[have] = '\0';
    *length = have;
    return text;
}

// Strips blanks at both ends of [*start, *end).
static void
s_trim (char **start, char **end)
{
    while (*start < *end && (**start == ' ' || **start == '\t'))
        (*start)++;
    while (*end > *start && strchr (" \t\r", (*end)[-1]))
        (*end)--;
}

// One "name = value" line's value, unquoted, written into line itself (the
// line is NUL-terminated, the value too). NULL if the line is not one.
static char *
s_value (char *line, char **name)
{
    char *equals = strchr (line, '=');
    if (!equals)
        return NULL;
    char *name_start = line, *name_end = equals;
    s_trim (&name_start, &name_end);
    *name_end = '\0';
    *name = name_start;
    char *start = equals + 1, *end = equals + 1 + strlen (equals + 1);
    s_trim (&start, &end);
    if (end - start >= 2 && (*start == '"' || *start == '\'') &&
        end[-1] == *start) {
        start++;
        end--;
    } else if (start < end && (*start == '"' || *start == '\''))
        return NULL; // an opening quote without its end: truncated
    *end = '\0';
    return start;
}

// Parses a certificate file's text into self. 0, or -1 with EINVAL.
static int
s_parse (zpat_cert_t *self, char *text)
{
    enum { NONE, METADATA, CURVE, OTHER } section = NONE;
    const char *public_txt = NULL, *secret_txt = NULL;
    char *line = text;
    while (line && *line) {
        char *newline = strchr (line, '\n');
        if (newline)
            *newline = '\0';
        char *next = newline ? newline + 1 : NULL;
        bool indented = *line == ' ' || *line == '\t';
        char *start = line, *end = line + strlen (line);
        s_trim (&start, &end);
        *end = '\0';
        if (*start == '\0' || *start == '#') {
            line = next;
            continue;
        }
        if (!indented) {
            section = strcmp (start, "metadata") == 0 ? METADATA
                      : strcmp (start, "curve") == 0  ? CURVE
                                                      : OTHER;
            line = next;
            continue;
        }
        char *name = NULL, *value = s_value (start, &name);
        if (!value && section != OTHER)
            return zpat__fail (EINVAL);
        if (section == CURVE && strcmp (name, "public-key") == 0)
            public_txt = value;
        else if (section == CURVE && strcmp (name, "secret-key") == 0)
            secret_txt = value;
        else if (section == METADATA && s_meta_name_ok (name) &&
                 s_set_meta (self, name, value) == -1 && errno == ENOMEM)
            return -1;
        line = next;
    }
    if (!public_txt)
        return zpat__fail (EINVAL);
    return s_set_keys (self, public_txt, secret_txt);
}

zpat_cert_t *
zpat__cert_load (const char *path)
{
    if (!path)
        return zpat__fail_null (EINVAL);
    zpat_cert_t *self = s_new ();
    if (!self)
        return NULL;
    size_t length = 0;
    char *text = s_slurp (path, &length);
    int rc = text ? s_parse (self, text) : -1;
    int saved = errno;
    if (text) {
        explicit_bzero (text, length);
        free (text);
    }
    if (rc == -1) {
        zpat_cert_destroy (&self);
        return zpat__fail_null (saved);
    }
    return self;
}

zpat_cert_t *
zpat_cert_load (const char *path)
{
    return zpat__api_ptr (zpat__cert_load (path), "zpat_cert_load", NULL, NULL);
}

// ---------------------------------------------------------------------------
// Writing files

// Writes a certificate file's text (the secret key too when secret) to fd.
// 0, or -1 with errno.
static int
s_write (const zpat_cert_t *self, int fd, bool secret)
{
    char stamp[32] = "";
    time_t now = time (NULL);
    struct tm local;
    if (localtime_r (&now, &local))
        strftime (stamp, sizeof stamp, "%Y-%m-%d %H:%M:%S", &local);
    // Sized for the banner, the keys and 64 KiB of metadata at most.
    size_t size = 1024;
    for (const meta_t *it = self->meta; it; it = it->next)
        size += strlen (it->name) + strlen (it->value) + 16;
    char *text = malloc (size);
    if (!text)
        return zpat__fail (ENOMEM);
    int used = snprintf (
        text, size, "#   ****  Generated on %s by zpat  ****\n%s\nmetadata\n",
        stamp,
        secret ? "#   ZeroMQ CURVE **Secret** Certificate\n"
                 "#   DO NOT PROVIDE THIS FILE TO OTHER USERS nor change its "
                 "permissions.\n"
               : "#   ZeroMQ CURVE Public Certificate\n"
                 "#   Exchange securely, or use a secure mechanism to verify "
                 "the contents\n"
                 "#   of this file after exchange. Store public certificates "
                 "in your home\n"
                 "#   directory, in the .curve subdirectory.\n");
    for (const meta_t *it = self->meta; it; it = it->next)
        used += snprintf (text + used, size - (size_t)used, "    %s = \"%s\"\n",
                          it->name, it->value);
    used += snprintf (text + used, size - (size_t)used,
                      "curve\n    public-key = \"%s\"\n", self->public_txt);
    if (secret) {
        char secret_txt[41];
        zmq_z85_encode (secret_txt, self->secret_key, 32);
        used += snprintf (text + used, size - (size_t)used,
                          "    secret-key = \"%s\"\n", secret_txt);
        explicit_bzero (secret_txt, sizeof secret_txt);
    }
    int rc = 0;
    for (size_t done = 0; rc == 0 && done < (size_t)used;) {
        ssize_t wrote = write (fd, text + done, (size_t)used - done);
        if (wrote == -1 && errno != EINTR)
            rc = -1;
        else if (wrote > 0)
            done += (size_t)wrote;
    }
    int saved = errno;
    if (rc == 0 && fsync (fd) == -1 && errno != EINVAL) {
        rc = -1;
        saved = errno;
    }
    explicit_bzero (text, size);
    free (text);
    errno = saved;
    return rc;
}

// Creates path (never over an existing file) with mode and writes self to
// it. 0, or -1 with errno and nothing left behind.
static int
s_create (const zpat_cert_t *self, const char *path, mode_t mode, bool secret)
{
    int fd = open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (fd == -1)
        return -1;
    // Exactly 0600 for a secret, whatever the umask.
    int rc = secret ? fchmod (fd, mode) : 0;
    if (rc == 0)
        rc = s_write (self, fd, secret);
    int saved = errno;
    if (close (fd) == -1 && rc == 0) {
        rc = -1;
        saved = errno;
    }
    if (rc == -1) {
        unlink (path);
        errno = saved;
    }
    return rc;
}

static int
s_save_public (const zpat_cert_t *self, const char *path)
{
    if (s_valid (self) == -1)
        return -1;
    if (!path || !*path)
        return zpat__fail (EINVAL);
    return s_create (self, path, 0644, false);
}

int
zpat_cert_save_public (const zpat_cert_t *self, const char *path)
{
    return zpat__api_int (s_save_public (self, path), "zpat_cert_save_public",
                          self, NULL);
}

static int
s_save (const zpat_cert_t *self, const char *path)
{
    if (s_valid (self) == -1)
        return -1;
    if (!path || !*path || !self->has_secret)
        return zpat__fail (EINVAL);
    size_t length = strlen (path);
    char *secret_path = malloc (length + sizeof "_secret");
    if (!secret_path)
        return zpat__fail (ENOMEM);
    memcpy (secret_path, path, length);
    memcpy (secret_path + length, "_secret", sizeof "_secret");
    // Neither file may be there: the secret is written first, and taken
    // back if the public one cannot be.
    struct stat st;
    int rc = 0;
    if (lstat (path, &st) == 0)
        rc = zpat__fail (EEXIST);
    if (rc == 0)
        rc = s_create (self, secret_path, 0600, true);
    if (rc == 0 && s_create (self, path, 0644, false) == -1) {
        int saved = errno;
        unlink (secret_path);
        rc = zpat__fail (saved);
    }
    free (secret_path);
    return rc;
}

int
zpat_cert_save (const zpat_cert_t *self, const char *path)
{
    return zpat__api_int (s_save (self, path), "zpat_cert_save", self, NULL);
}
