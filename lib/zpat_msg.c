// zpat_msg.c - reusable multipart messages: zero-copy frames for sending and
// receiving, whose slots are kept so that steady use does not allocate.
// SPDX-License-Identifier: MPL-2.0

#include "zpat_internal.h"

static zpat_msg_t *
s_new (void)
{
    zpat_msg_t *self = calloc (1, sizeof *self);
    if (!self)
        return zpat__fail_null (ENOMEM);
    return self;
}

zpat_msg_t *
zpat_msg_new (void)
{
    return zpat__api_ptr (s_new (), "zpat_msg_new", NULL, NULL);
}

void
zpat__msg_fini (struct zpat_msg *self)
{
    zpat_msg_reset (self);
    free (self->frames);
    self->frames = NULL;
    self->capacity = 0;
}

void
zpat_msg_destroy (zpat_msg_t **self_p)
{
    if (self_p && *self_p) {
        zpat__msg_fini (*self_p);
        free (*self_p);
        *self_p = NULL;
    }
}

void
zpat_msg_reset (zpat_msg_t *self)
{
    if (!self)
        return;
    for (size_t i = 0; i < self->count; i++)
        zmq_msg_close (&self->frames[i]);
    self->count = 0;
}

// The slow half of zpat__msg_slot: the slots are full, so the array grows.
zmq_msg_t *
zpat__msg_grow (struct zpat_msg *self)
{
    if (self->count == self->capacity) {
        // libzmq forbids copying a zmq_msg_t byte by byte, so frames move to
        // the larger array with zmq_msg_move rather than realloc ().
        size_t capacity = self->capacity ? self->capacity * 2 : 4;
        if (capacity > SIZE_MAX / sizeof (zmq_msg_t))
            return zpat__fail_null (ENOMEM);
        zmq_msg_t *frames = malloc (capacity * sizeof (zmq_msg_t));
        if (!frames)
            return zpat__fail_null (ENOMEM);
        for (size_t i = 0; i < self->count; i++) {
            zmq_msg_init (&frames[i]);
            zmq_msg_move (&frames[i], &self->frames[i]);
            zmq_msg_close (&self->frames[i]);
        }
        free (self->frames);
        self->frames = frames;
        self->capacity = capacity;
    }
    return &self->frames[self->count];
}

size_t
zpat_msg_count (const zpat_msg_t *self)
{
    return self ? self->count : 0;
}

const void *
zpat_msg_data (const zpat_msg_t *self, size_t index)
{
    // Only a bad index goes to the error policy: a good frame's data may be
    // NULL too (an empty zero-copy frame added with data NULL).
    if (!self || index >= self->count)
        return zpat__api_ptr (zpat__fail_null (EINVAL), "zpat_msg_data", self,
                              NULL);
    // zmq_msg_data does not change the message; it just lacks a const.
    return zmq_msg_data ((zmq_msg_t *)&self->frames[index]);
}

size_t
zpat_msg_size (const zpat_msg_t *self, size_t index)
{
    if (!self || index >= self->count)
        return 0;
    return zmq_msg_size (&self->frames[index]);
}

static char *
s_strdup (const zpat_msg_t *self, size_t index)
{
    if (!self || index >= self->count)
        return zpat__fail_null (EINVAL);
    // zmq_msg_data and zmq_msg_size do not change the message.
    zmq_msg_t *frame = (zmq_msg_t *)&self->frames[index];
    size_t size = zmq_msg_size (frame);
    char *string = malloc (size + 1);
    if (!string)
        return zpat__fail_null (ENOMEM);
    if (size)
        memcpy (string, zmq_msg_data (frame), size);
    string[size] = 0;
    return string;
}

char *
zpat_msg_strdup (const zpat_msg_t *self, size_t index)
{
    return zpat__api_ptr (s_strdup (self, index), "zpat_msg_strdup", self,
                          NULL);
}

int
zpat__msg_add (zpat_msg_t *self, const void *data, size_t size)
{
    if (!self || (!data && size))
        return zpat__fail (EINVAL);
    zmq_msg_t *slot = zpat__msg_slot (self);
    if (!slot || zmq_msg_init_size (slot, size) == -1)
        return zpat__fail (ENOMEM);
    if (size)
        memcpy (zmq_msg_data (slot), data, size);
    self->count++;
    return 0;
}

int
zpat_msg_add (zpat_msg_t *self, const void *data, size_t size)
{
    return zpat__api_int (zpat__msg_add (self, data, size), "zpat_msg_add",
                          self, NULL);
}

static int
s_add_str (zpat_msg_t *self, const char *string)
{
    if (!string)
        return zpat__fail (EINVAL);
    return zpat__msg_add (self, string, strlen (string));
}

int
zpat_msg_add_str (zpat_msg_t *self, const char *string)
{
    return zpat__api_int (s_add_str (self, string), "zpat_msg_add_str", self,
                          NULL);
}

static int
s_add_zc (zpat_msg_t *self, void *data, size_t size, zpat_free_fn *free_fn,
          void *hint)
{
    if (!self || (!data && size))
        return zpat__fail (EINVAL);
    zmq_msg_t *slot = zpat__msg_slot (self);
    if (!slot || zmq_msg_init_data (slot, data, size, free_fn, hint) == -1)
        return zpat__fail (ENOMEM);
    self->count++;
    return 0;
}

int
zpat_msg_add_zc (zpat_msg_t *self, void *data, size_t size,
                 zpat_free_fn *free_fn, void *hint)
{
    return zpat__api_int (s_add_zc (self, data, size, free_fn, hint),
                          "zpat_msg_add_zc", self, NULL);
}
